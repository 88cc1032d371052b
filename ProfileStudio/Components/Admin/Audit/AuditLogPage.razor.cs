using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Components.Admin.Audit;

public sealed partial class AuditLogPage
{
    private MudDataGrid<AuditEntry>? _grid;
    private IReadOnlyList<string> _actions = [];
    private string? _actor;
    private string? _action;
    private DateRange? _range;

    [Inject] private AuditLog Audit { get; set; } = default!;

    protected override async Task OnInitializedAsync() => _actions = await Audit.ActionsAsync();

    private async Task<GridData<AuditEntry>> LoadAsync(GridState<AuditEntry> state)
    {
        var filter = new AuditFilter(
            _actor,
            _action,
            _range?.Start?.Date,
            _range?.End?.Date.AddDays(1));
        var page = await Audit.QueryAsync(filter, state.Page * state.PageSize, state.PageSize);
        return new GridData<AuditEntry> { Items = page.Entries, TotalItems = page.Total };
    }

    private Task ApplyAsync() => _grid?.ReloadServerData() ?? Task.CompletedTask;

    private Task OnKeyUpAsync(KeyboardEventArgs e) => e.Key == "Enter" ? ApplyAsync() : Task.CompletedTask;

    private Task OnActionChangedAsync(string? action)
    {
        _action = action;
        return ApplyAsync();
    }

    private Task OnRangeChangedAsync(DateRange? range)
    {
        _range = range;
        return ApplyAsync();
    }

    private static Color ColorOf(string action) => action switch
    {
        AuditActions.SignInFailed or AuditActions.LockedOut or AuditActions.UserLocked or AuditActions.ApiTokenRevoked => Color.Error,
        AuditActions.SignIn or AuditActions.SignOut => Color.Default,
        _ => Color.Primary,
    };
}
