using ProfileStudio.Core.Sources;
using ProfileStudio.Hosting;

namespace ProfileStudio.Ingestion;

/// <summary>Write keys as Segment clients send them: the Basic-auth user name (<see cref="AuthorizationHeader.BasicUserName"/>), password empty.</summary>
internal static class WriteKeyAuthentication
{
    /// <summary>401 for an unknown or disabled source's key; null when the source may send.</summary>
    public static IResult? Refusal(SourceCredential? source) => source switch
    {
        null => ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication, "Unknown write key."),
        { Enabled: false } => ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication,
            $"The source \"{source.Name}\" is disabled; an administrator can enable it on the Sources page."),
        _ => null,
    };
}
