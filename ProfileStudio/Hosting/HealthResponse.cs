using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ProfileStudio.Hosting;

/// <summary>The /healthz answer: overall status and each check's status and description, as JSON.</summary>
internal static class HealthResponse
{
    public static HealthCheckOptions Options { get; } = new()
    {
        ResponseWriter = async (context, report) =>
        {
            context.Response.ContentType = "application/json";
            var body = new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            };
            await context.Response.WriteAsync(JsonSerializer.Serialize(body));
        },
    };
}
