using Microsoft.AspNetCore.Diagnostics;

namespace ProfileStudio.Hosting;

/// <summary>
/// Outside Development, an exception while answering an HTTP API (<c>/v1/*</c>, <c>/api/*</c>) becomes an
/// answer in the APIs' one error shape: a body that could not be read (malformed chunked encoding, a
/// connection cut mid-body) is the client's 400, anything else a 500 naming the request id that the log
/// line carries. Never the exception's text, a stack trace or the request's headers. Studio pages go on
/// to the friendly <c>/Error</c> page.
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // By now the middleware has pointed the request at /Error: the address asked for is in the feature.
        var path = context.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? context.Request.Path.Value;
        if (!StudioServiceCollectionExtensions.IsApi(new PathString(path)) || context.Response.HasStarted)
        {
            return false;
        }
        var requestId = context.TraceIdentifier;
        context.Response.Headers["Request-Id"] = requestId; // the middleware cleared the response, this header too
        IResult answer;
        if (UnreadableBodyStatus(exception) is { } status)
        {
            logger.LogInformation("Request {RequestId} {Method} {Path}: the request could not be read ({Reason}).",
                requestId, context.Request.Method, path, exception.Message);
            answer = ApiErrors.Problem(status, ApiErrors.InvalidRequest,
                status == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is too large."
                    : "The request could not be read: its body is malformed or incomplete.");
        }
        else
        {
            logger.LogError(exception, "Request {RequestId} {Method} {Path} failed.", requestId, context.Request.Method, path);
            answer = ApiErrors.Problem(StatusCodes.Status500InternalServerError, ApiErrors.Internal,
                $"Something went wrong on the server; the error was logged. Quote request id {requestId} when you report it.", requestId);
        }
        await answer.ExecuteAsync(context);
        return true;
    }

    /// <summary>
    /// The client's status when <paramref name="exception"/> says the request's body could not be read, else null. Kestrel
    /// reports most of these as <see cref="BadHttpRequestException"/>, but a chunk size too large for a number (an overflow in
    /// its chunked-body parser) as a plain <see cref="IOException"/> thrown from its own code: that too is the client's 400.
    /// </summary>
    public static int? UnreadableBodyStatus(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        IOException io when io.StackTrace?.Contains("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true => StatusCodes.Status400BadRequest,
        _ => null,
    };
}
