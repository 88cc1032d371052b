using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace ProfileStudio.Tests.Hosting;

/// <summary>
/// A browser-like client for the static server-rendered account pages: reads the rendered form
/// (hidden antiforgery token and Blazor's <c>_handler</c>) and posts it back with the cookies.
/// </summary>
public sealed class StudioClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public Task<HttpResponseMessage> GetAsync(string url) => Http.GetAsync(url);

    /// <summary>Where a redirect points, as a path and query on this site.</summary>
    public string LocationOf(HttpResponseMessage response)
    {
        Assert.NotNull(response.Headers.Location);
        return new Uri(Http.BaseAddress!, response.Headers.Location).PathAndQuery;
    }

    public static async Task<IDocument> ParseAsync(HttpResponseMessage response) =>
        await new HtmlParser().ParseDocumentAsync(await response.Content.ReadAsStringAsync());

    /// <summary>The message the sign-in page shows after a failed attempt, or null.</summary>
    public static async Task<string?> LoginErrorAsync(HttpResponseMessage response) =>
        (await ParseAsync(response)).QuerySelector("[data-testid=login-error]")?.TextContent.Trim();

    /// <summary>Fills the sign-in form the page renders and submits it.</summary>
    public Task<HttpResponseMessage> SignInAsync(string email, string password, string loginUrl = "/Account/Login") =>
        SubmitFormAsync(loginUrl, "login", new Dictionary<string, string> { ["email"] = email, ["password"] = password });

    /// <summary>
    /// Opens <paramref name="pageUrl"/>, fills the inputs of the form <paramref name="formName"/> by
    /// their ids, and posts it where a browser would: the form's action, or the page itself.
    /// </summary>
    public async Task<HttpResponseMessage> SubmitFormAsync(string pageUrl, string formName, IReadOnlyDictionary<string, string> valuesById)
    {
        using var page = await Http.GetAsync(pageUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var form = FormNamed(await ParseAsync(page), formName);
        var fields = HiddenFields(form);
        foreach (var (id, value) in valuesById)
        {
            fields[InputName(form, id)] = value;
        }
        var action = form.GetAttribute("action") is { Length: > 0 } a ? a : pageUrl;
        return await Http.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Signs out through the form in the app bar of <paramref name="pageUrl"/>.</summary>
    public async Task<HttpResponseMessage> SignOutAsync(string pageUrl = "/")
    {
        using var page = await Http.GetAsync(pageUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = await ParseAsync(page);
        var form = document.QuerySelector("form[action='/Account/Logout']");
        Assert.NotNull(form);
        return await Http.PostAsync("/Account/Logout", new FormUrlEncodedContent(HiddenFields(form)));
    }

    /// <summary>The form whose Blazor <c>_handler</c> is <paramref name="formName"/>.</summary>
    public static IElement FormNamed(IDocument document, string formName)
    {
        var form = document.QuerySelectorAll("form")
            .SingleOrDefault(f => f.QuerySelector($"input[type=hidden][name=_handler][value='{formName}']") is not null);
        Assert.True(form is not null, $"No form '{formName}' in the page:\n{document.Body?.InnerHtml}");
        return form;
    }

    public static Dictionary<string, string> HiddenFields(IElement form) =>
        form.QuerySelectorAll("input[type=hidden]")
            .Where(i => i.GetAttribute("name") is not null)
            .ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value") ?? "");

    /// <summary>The name the page gives the input with this id (the name is what the server binds).</summary>
    public static string InputName(IElement form, string id)
    {
        var name = form.QuerySelector($"#{id}")?.GetAttribute("name");
        Assert.False(string.IsNullOrEmpty(name), $"The input #{id} has no name.");
        return name;
    }

    public void Dispose() => Http.Dispose();
}
