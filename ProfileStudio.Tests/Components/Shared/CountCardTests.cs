using Bunit;
using MudBlazor;
using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

/// <summary>A count card is coloured by what it counts only when there is something: "Rejected 0" in red read as an alarm.</summary>
public sealed class CountCardTests : StudioBunitContext
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(3, true)]
    public void RejectedCount_IsRedOnlyWhenThereAreSome(long value, bool red)
    {
        var cut = Render<CountCard>(p => p.Add(c => c.Label, "Rejected").Add(c => c.Value, value).Add(c => c.Color, Color.Error));

        Assert.Equal(red, cut.FindAll(".mud-error-text").Count > 0);
        Assert.Contains(value.ToString("N0"), cut.Markup);
    }
}
