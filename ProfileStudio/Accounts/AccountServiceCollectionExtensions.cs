using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Accounts;

internal static class AccountServiceCollectionExtensions
{
    public const int MaxFailedSignIns = 5;

    /// <summary>ASP.NET Core Identity with roles, cookie sign-in and lockout; every page needs sign-in.</summary>
    public static IServiceCollection AddStudioAccounts(this IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddScoped<CurrentActor>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "ProfileStudio.Auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
        });
        // Locked or re-roled users lose their session within a minute, not the default 30.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddIdentityCore<ApplicationUser>(o =>
            {
                o.SignIn.RequireConfirmedAccount = false;
                o.User.RequireUniqueEmail = true;
                // The user name is the e-mail address, which AccountEmail checks: Identity's default user-name characters (ASCII
                // letters, digits and -._@+) refused real addresses such as o'brien@example.com and jürgen@exämple.de.
                o.User.AllowedUserNameCharacters = "";
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = MaxFailedSignIns;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Password.RequiredLength = 10;
            })
            .AddRoles<IdentityRole>()
            .AddErrorDescriber<StudioIdentityErrorDescriber>()
            .AddClaimsPrincipalFactory<StudioUserClaimsPrincipalFactory>()
            .AddEntityFrameworkStores<ProfileStudioDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        // Signed in is not enough: every page and endpoint without its own roles (the dashboard, the explorer, a profile,
        // Data › Schema, the API reference) needs one of the studio's roles, so an account whose roles were all taken
        // away reads nothing.
        var anyRole = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.All).Build();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(anyRole)
            .SetFallbackPolicy(anyRole);

        services.AddHostedService<IdentityBootstrapper>();
        services.AddSingleton<UserAdministration>();
        services.AddSingleton<UserDisplayNames>();
        return services;
    }
}
