using Microsoft.OpenApi;

namespace ProfileStudio.Hosting;

/// <summary>
/// The OpenAPI document of the HTTP APIs (Tracking API, batch files, API tokens, Profile API) at
/// <c>/openapi/v1.json</c>; the studio renders it itself at <c>/api-reference</c> (ApiReferencePage),
/// so the reference works offline and sends nothing elsewhere. The document is public, like the APIs'
/// shapes in the README (it holds no data); the page is a studio page, for anyone signed in.
/// </summary>
internal static class ApiDocument
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/api-reference";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            // Only the public HTTP APIs: not the studio's pages or its sign-in form posts.
            o.ShouldInclude = d => d.RelativePath is { } path && (path.StartsWith("v1/", StringComparison.Ordinal) || path.StartsWith("api/", StringComparison.Ordinal));
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "ProfileStudio APIs",
                    Version = "v1",
                    Description = "Tracking API (Segment-compatible, write key as Basic-auth user name), batch file uploads, and the Profile API "
                        + "(API token as Bearer or Basic-auth user name; errors as {\"error\":{\"code\",\"message\"}}). "
                        + "A profile is addressed as namespace:value (e.g. email:ada@example.com) or profile_id:<id>.",
                };
                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Documents a parameter of the endpoints this convention applies to (a route group: each that has it):
    /// what it is, and its type where the handler reads it as text to answer a bad value in the API's own
    /// error shape (<c>limit</c> is a whole number, though bound as a string).
    /// </summary>
    public static TBuilder WithParameter<TBuilder>(this TBuilder builder, string name, string description, JsonSchemaType? type = null, string? format = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name) is { } parameter)
            {
                parameter.Description = description;
                if (type is { } t)
                {
                    parameter.Schema = new OpenApiSchema { Type = t, Format = format };
                }
            }
            return Task.CompletedTask;
        });

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath.Replace("v1", "{documentName}", StringComparison.Ordinal)).AllowAnonymous();
        return app;
    }
}
