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

    /// <summary>
    /// As <see cref="Refusal"/>, and 403 for a batch source's key: it uploads files; tracking calls come from streaming sources,
    /// so that each source's debugger, volumes and merge-policy precedence describe one kind of data.
    /// </summary>
    public static IResult? TrackingRefusal(SourceCredential? source) => Refusal(source) ?? (source!.Kind == SourceKind.Batch
        ? ApiErrors.Problem(StatusCodes.Status403Forbidden, ApiErrors.Permission,
            $"\"{source.Name}\" is a batch source: its write key uploads files (POST /api/v1/sources/{source.Id}/batches). Send tracking calls with a streaming source's write key (Data › Sources).")
        : null);
}
