using System.Text.Json.Serialization;

namespace ProfileStudio.Hosting;

/// <summary>
/// The one error shape of every HTTP API: <c>{"error":{"code":"…","message":"…"}}</c>; an unexpected
/// server error adds <c>"request_id"</c>, the id its log line carries.
/// </summary>
internal static class ApiErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found";
    public const string RateLimit = "rate_limit_error";
    public const string Validation = "validation_error";
    public const string Unavailable = "service_unavailable";
    public const string Internal = "internal_error";

    public static IResult Problem(int status, string code, string message, string? requestId = null) =>
        TypedResults.Json(new ErrorBody(new ErrorDetail(code, message, requestId)), statusCode: status);

    public sealed record ErrorBody(ErrorDetail Error);

    public sealed record ErrorDetail(
        string Code,
        string Message,
        [property: JsonPropertyName("request_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null);
}
