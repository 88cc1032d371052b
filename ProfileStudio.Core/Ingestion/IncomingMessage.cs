namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// One message ready for the lake: valid (<see cref="Error"/> null) or rejected with its reason.
/// <see cref="Payload"/> is the JSON to store.
/// </summary>
public sealed record IncomingMessage(
    string Type,
    string? MessageId,
    DateTime EventAt,
    string Payload,
    string? Error,
    int? LineNumber = null)
{
    public bool IsValid => Error is null;
    public MessageStatus Status => IsValid ? MessageStatus.Accepted : MessageStatus.Rejected;
}

/// <summary>
/// The messages of one HTTP request and the write key found in its body, if any; <see cref="WriteKeyProblem"/> says why a
/// <c>writeKey</c> the body holds is none (not text, or empty).
/// </summary>
public sealed record TrackingRequest(string? WriteKey, IReadOnlyList<IncomingMessage> Messages)
{
    public string? WriteKeyProblem { get; init; }
}

/// <summary>Either a parsed request or the reason the whole request is refused (HTTP 400).</summary>
public sealed record TrackingParseResult(TrackingRequest? Request, string? Error)
{
    public static TrackingParseResult Fail(string error) => new(null, error);
}
