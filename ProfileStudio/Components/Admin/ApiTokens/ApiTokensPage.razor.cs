using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Shared;
using ProfileStudio.Core.Security;

namespace ProfileStudio.Components.Admin.ApiTokens;

public sealed partial class ApiTokensPage
{
    private IReadOnlyList<ApiToken>? _tokens;

    [Inject] private ApiTokenStore Tokens { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync() => await ReloadAsync();

    private async Task ReloadAsync() => _tokens = await Tokens.ListAsync();

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateApiTokenDialog>("Create API token", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: ApiTokenResult { Token: { } token, Secret: { } secret } })
        {
            await ReloadAsync();
            StateHasChanged();
            await SecretDialog.ShowAsync(Dialogs, "API token created",
                $"The token \"{token.Name}\" ({string.Join(", ", token.Scopes)}). Give it to the application that will use it.", secret);
        }
    }

    private async Task RevokeAsync(ApiToken token)
    {
        var confirmed = await Dialogs.ShowMessageBox("Revoke API token",
            $"Requests with \"{token.Name}\" ({token.Prefix}…) get 401 from now on. This cannot be undone.",
            yesText: "Revoke", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        var result = await Tokens.RevokeAsync(await Actor.GetAsync(), token.Id);
        if (result.Succeeded)
        {
            Snackbar.Add($"\"{token.Name}\" is revoked.", Severity.Success);
        }
        else
        {
            Snackbar.Add(result.Error ?? "The token could not be revoked.", Severity.Error);
        }
        await ReloadAsync();
    }
}
