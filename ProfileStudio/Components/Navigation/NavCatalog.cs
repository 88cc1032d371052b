using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;

namespace ProfileStudio.Components.Navigation;

/// <summary>One page in the navigation drawer.</summary>
public sealed record NavEntry(string Group, string Title, string Icon, Type Page, string Description)
{
    /// <summary>The page's route, read from its <c>@page</c> directive.</summary>
    public string Href => Page.GetCustomAttribute<RouteAttribute>()?.Template
        ?? throw new InvalidOperationException($"{Page.Name} has no @page route.");

    /// <summary>
    /// The roles that may open the page, read from its <c>[Authorize(Roles = ...)]</c>, so the menu
    /// and the refusal can never disagree. Empty means any signed-in user.
    /// </summary>
    public IReadOnlyList<string> Roles => PageAccess.Roles(Page);

    public bool IsVisibleTo(ClaimsPrincipal user) => PageAccess.Allows(Page, user);
}

/// <summary>
/// The studio's pages, grouped as the product is (Profiles, Segments, Data, Identity, Admin).
/// Only pages that exist are listed; a group with no visible page is not shown.
/// </summary>
public static class NavCatalog
{
    public static IReadOnlyList<string> Groups { get; } = ["Profiles", "Segments", "Data", "Identity", "Admin", "Reference"];

    public static IReadOnlyList<NavEntry> Entries { get; } =
    [
        new("Profiles", "Explorer", MudBlazor.Icons.Material.Filled.People, typeof(Profiles.ProfilesPage),
            "Look anyone up by any identifier (email:…, phone:…, user_id:…), a name or an email, and read one complete profile: attributes with where each value came from, identities, timeline."),
        new("Profiles", "Merge policies", MudBlazor.Icons.Material.Filled.MergeType, typeof(Profiles.MergePolicies.MergePoliciesPage),
            "How conflicting values from different sources combine: most recent wins, or an ordered list of sources, with per-attribute overrides."),
        new("Profiles", "Computed attributes", MudBlazor.Icons.Material.Filled.Functions, typeof(Profiles.Computed.ComputedAttributesPage),
            "Traits computed from behaviour (count, sum, average, most frequent… of events over a window) or by a formula over other attributes, live on every profile."),
        new("Profiles", "Segments", MudBlazor.Icons.Material.Filled.Groups, typeof(Segments.SegmentsPage),
            "Audiences by a rule over attributes, events, identities and other segments, built visually with a live count; members kept current, each with the reason they are in."),
        new("Identity", "Insights", MudBlazor.Icons.Material.Filled.Insights, typeof(Identity.InsightsPage),
            "Every merge, refused merge, blocked value and moved device, with the message that caused it."),
        new("Identity", "Simulator", MudBlazor.Icons.Material.Filled.Science, typeof(Identity.Simulator.SimulatorPage),
            "Try messages against the identity rules, saved or edited, and see the profiles and graph they would produce; nothing is saved."),
        new("Identity", "Namespaces", MudBlazor.Icons.Material.Filled.Rule, typeof(Identity.NamespacesPage),
            "The kinds of identifier, their normalization, limits, priorities and blocked values."),
        new("Identity", "Unification", MudBlazor.Icons.Material.Filled.Hub, typeof(Identity.UnificationPage),
            "How far the worker is, re-running unification over the lake after rule changes, splits, and never-link rules."),
        new("Data", "Sources", MudBlazor.Icons.Material.Filled.Input, typeof(Data.Sources.SourcesPage),
            "Connect websites, apps and file exports; get write keys and setup snippets; watch messages arrive live."),
        new("Data", "Files", MudBlazor.Icons.Material.Filled.UploadFile, typeof(Data.Batches.BatchesPage),
            "Upload CSV or NDJSON exports to batch sources, map their columns, follow the progress and download rejected rows."),
        new("Data", "Schema", MudBlazor.Icons.Material.Filled.Schema, typeof(Data.Schema.SchemaPage),
            "Every profile attribute and event the sources send: types, fill rates, volumes, properties and examples."),
        new("Data", "Rejected messages", MudBlazor.Icons.Material.Filled.ReportProblem, typeof(Data.Rejected.RejectedMessagesPage),
            "Messages that failed validation, with the reason, kept so nothing is lost silently."),
        new("Admin", "Users", MudBlazor.Icons.Material.Filled.ManageAccounts, typeof(Admin.Users.UsersPage),
            "Create studio accounts, give them roles, lock or unlock them, and reset passwords."),
        new("Admin", "API tokens", MudBlazor.Icons.Material.Filled.Key, typeof(Admin.ApiTokens.ApiTokensPage),
            "Create tokens for applications that call the HTTP APIs, each with only the scopes it needs; see when each was last used; revoke them."),
        new("Admin", "Audit log", MudBlazor.Icons.Material.Filled.History, typeof(Admin.Audit.AuditLogPage),
            "Who signed in, and who changed what and when: users, roles, and every later configuration change."),
        new("Reference", "API reference", MudBlazor.Icons.Material.Filled.Api, typeof(Reference.ApiReferencePage),
            "Every HTTP API (tracking, files, profiles, tokens) with its parameters and answers, read from the OpenAPI document."),
    ];

    /// <summary>
    /// The entry a path belongs to: the one with the longest route that is the path or a folder of it, so
    /// /profiles/merge-policies is Merge policies (not also Profiles) while /profiles/42 is Profiles.
    /// </summary>
    public static NavEntry? Current(string path)
    {
        path = "/" + path.Split('?', '#')[0].Trim('/');
        return Entries
            .Where(e => path == e.Href || path.StartsWith(e.Href.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase))
            .MaxBy(e => e.Href.Length);
    }

    public static IEnumerable<IGrouping<string, NavEntry>> VisibleTo(ClaimsPrincipal user) =>
        Entries.Where(e => e.IsVisibleTo(user))
            .GroupBy(e => e.Group)
            .OrderBy(g => Groups.ToList().IndexOf(g.Key));
}
