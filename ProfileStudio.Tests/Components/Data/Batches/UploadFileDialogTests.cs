using ProfileStudio.Components.Data.Batches;

namespace ProfileStudio.Tests.Components.Data.Batches;

public sealed class UploadFileDialogTests
{
    [Theory]
    [InlineData(812, "812 bytes")]
    [InlineData(3_250_586, "3.1 MB")]
    [InlineData(33_080_701, "31.5 MB")]
    [InlineData(64_512, "63.0 KB")]
    public void TheChosenFilesSize_IsShownAsPeopleReadIt(long bytes, string shown) =>
        // It read "big.csv (32305.3798828125.ToString("N1") KB)": the format call was outside the Razor expression.
        Assert.Equal(shown, UploadFileDialog.FileSize(bytes));
}
