using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Shared;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Components.Admin.Users;

public sealed partial class UsersPage
{
    /// <summary>
    /// Names this long or shorter fit the Name column's 14rem even in wide letters (16 × "W" at 14 px): they are never cut short,
    /// so they need no tooltip repeating them.
    /// </summary>
    internal const int NameFitsLength = 16;

    private IReadOnlyList<UserSummary>? _users;
    private string? _search;

    [Inject] private UserAdministration Admin { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The signed-in administrator's own id: their row offers no Lock (locking yourself is refused).</summary>
    private string? _ownId;

    protected override async Task OnInitializedAsync()
    {
        _ownId = (await Actor.GetAsync()).UserId;
        await ReloadAsync();
    }

    private async Task ReloadAsync() => _users = await Admin.ListAsync();

    private bool Matches(UserSummary user) =>
        string.IsNullOrWhiteSpace(_search)
        || user.Email.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || user.DisplayName.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || user.Roles.Any(r => r.Contains(_search, StringComparison.OrdinalIgnoreCase));

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateUserDialog>("Create user", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: AdminResult result })
        {
            await ReloadAsync();
            if (result.Password is not null)
            {
                await SecretDialog.ShowAsync(Dialogs, "User created", "Give this temporary password to the user; they will be asked to change it at their first sign-in.", result.Password);
            }
            else
            {
                Snackbar.Add("User created.", Severity.Success);
            }
        }
    }

    private async Task EditRolesAsync(UserSummary user)
    {
        var parameters = new DialogParameters<EditRolesDialog> { { d => d.User, user } };
        var dialog = await Dialogs.ShowAsync<EditRolesDialog>($"Roles of {user.Email}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"Roles of {user.Email} changed.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task LockAsync(UserSummary user)
    {
        var confirmed = await Dialogs.ShowMessageBox("Lock account",
            $"{user.Email} will be signed out and unable to sign in until unlocked.", yesText: "Lock", cancelText: "Cancel");
        if (confirmed == true)
        {
            await ReportAsync(await Admin.LockAsync(await Actor.GetAsync(), user.Id), $"{user.Email} is locked.");
        }
    }

    private async Task UnlockAsync(UserSummary user) =>
        await ReportAsync(await Admin.UnlockAsync(await Actor.GetAsync(), user.Id), $"{user.Email} is unlocked.");

    private async Task ResetPasswordAsync(UserSummary user)
    {
        var confirmed = await Dialogs.ShowMessageBox("Reset password",
            $"{user.Email} gets a new temporary password and must change it at the next sign-in. Their current password stops working.",
            yesText: "Reset password", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        var result = await Admin.ResetPasswordAsync(await Actor.GetAsync(), user.Id);
        await ReportAsync(result, null);
        if (result is { Succeeded: true, Password: { } password })
        {
            await SecretDialog.ShowAsync(Dialogs, "Password reset", $"The temporary password for {user.Email}:", password);
        }
    }

    private async Task ReportAsync(AdminResult result, string? success)
    {
        if (!result.Succeeded)
        {
            Snackbar.Add(result.Error ?? "The change failed.", Severity.Error);
            return;
        }
        if (success is not null)
        {
            Snackbar.Add(success, Severity.Success);
        }
        await ReloadAsync();
    }
}
