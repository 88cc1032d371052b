using System.Net.Http.Headers;
using System.Text;

namespace ProfileStudio.Hosting;

/// <summary>Credentials in the <c>Authorization</c> header, as the HTTP APIs accept them.</summary>
internal static class AuthorizationHeader
{
    /// <summary>The Basic-auth user name (how Segment clients send a write key; the password is ignored).</summary>
    public static string? BasicUserName(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(header.Parameter))
        {
            return null;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var user = decoded.Split(':', 2)[0];
            return user.Length > 0 ? user : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public static string? BearerToken(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrWhiteSpace(header.Parameter)
            ? header.Parameter.Trim()
            : null;
}
