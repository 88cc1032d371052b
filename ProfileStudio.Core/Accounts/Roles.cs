namespace ProfileStudio.Core.Accounts;

/// <summary>The studio's roles. Pages name them in <c>[Authorize(Roles = ...)]</c>.</summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string Marketer = "Marketer";
    public const string Support = "Support";
    public const string DataEngineer = "DataEngineer";

    public static IReadOnlyList<string> All { get; } = [Admin, Marketer, Support, DataEngineer];

    public static string Describe(string role) => role switch
    {
        Admin => "Manages users, roles, identity rules and deletion",
        Marketer => "Configures merge policies, computed attributes and segments; reads the dashboard",
        Support => "Looks customers up and reads their profiles (read-only)",
        DataEngineer => "Connects sources, sends data and watches it arrive",
        _ => role,
    };
}
