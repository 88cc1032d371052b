namespace ProfileStudio.Hosting;

/// <summary>The one error shape of every HTTP API: <c>{"error":{"code":"…","message":"…"}}</c>.</summary>
internal static class ApiErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found";
    public const string RateLimit = "rate_limit_error";
    public const string Validation = "validation_error";
    public const string Unavailable = "service_unavailable";

    public static IResult Problem(int status, string code, string message) =>
        TypedResults.Json(new ErrorBody(new ErrorDetail(code, message)), statusCode: status);

    public sealed record ErrorBody(ErrorDetail Error);

    public sealed record ErrorDetail(string Code, string Message);
}
