using System.Net.Http.Headers;
using System.Text;
using ProfileStudio.Core.Sources;
using ProfileStudio.Hosting;

namespace ProfileStudio.Ingestion;

/// <summary>Write keys as Segment clients send them: the Basic-auth user name, password empty.</summary>
internal static class WriteKeyAuthentication
{
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

    /// <summary>401 for an unknown or disabled source's key; null when the source may send.</summary>
    public static IResult? Refusal(SourceCredential? source) => source switch
    {
        null => ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication, "Unknown write key."),
        { Enabled: false } => ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication,
            $"The source \"{source.Name}\" is disabled; an administrator can enable it on the Sources page."),
        _ => null,
    };
}
