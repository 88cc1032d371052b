using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class SecretDialogTests : StudioBunitContext
{
    [Fact]
    public async Task AMessageNamingALongUnbrokenName_MayBreakInsideTheName_AndSaysItWhole()
    {
        // "Source created" named a 128-character source in one unbroken line that ran past the dialog.
        var name = "Loyalty_export_" + new string('W', 113);
        var message = $"The write key of \"{name}\". The setup instructions on the next page have it filled in while this page stays open.";
        var dialogs = Render<MudDialogProvider>();

        _ = dialogs.InvokeAsync(() => SecretDialog.ShowAsync(Services.GetRequiredService<IDialogService>(), "Source created", message, "wk_secret"));

        var shown = dialogs.WaitForElement("[data-testid=secret-message]");
        Assert.Equal(message, shown.TextContent);
        Assert.True(shown.QuerySelectorAll("wbr").Length >= 128 / 24, "the name may break every 24 characters (WrapText)");
    }
}
