using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.ComputedAttributes.Expressions;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes.Expressions;

/// <summary>Expression attributes saved through the store and evaluated over stored profiles (real SQLite).</summary>
public sealed class ExpressionAttributesTests : IAsyncLifetime
{
    private static readonly AuditActor Actor = new("u1", "mara@example.com");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private StudioServices _studio = null!;
    private ComputedAttributeStore _store = null!;
    private ExpressionAttributes _expressions = null!;

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false, time: _time);
        _store = _studio.Services.GetRequiredService<ComputedAttributeStore>();
        _expressions = _studio.Services.GetRequiredService<ExpressionAttributes>();
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(1, m, m);
        await seed.ProfileAsync(2, m, m);
        await seed.AttributeAsync(1, crm, "firstName", "\"Ada\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(1, crm, "lastName", "\"Lovelace\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(1, crm, "birthday", "\"1987-12-04\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(2, crm, "firstName", "\"Grace\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(2, crm, "birthday", "\"1990-01-01\"", ProfileStoreSeed.T0, m);
        await _studio.Services.GetRequiredService<SchemaMaintainer>().RecountAsync(); // formulas are checked against the union schema's keys
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private static ComputedAttributeDraft Formula(string name, string formula) =>
        new(name, null, ComputedFunction.Expression, [], null, [], LookbackWindow.AllTime, formula);

    [Fact]
    public async Task SaveAsync_UnknownAttribute_IsRefusedWithTheName()
    {
        var result = await _store.SaveAsync(Actor, null, Formula("full_name", "firstName + ' ' + lastNam"));

        Assert.False(result.Succeeded);
        Assert.Contains(result.Problems, p => p.StartsWith("Unknown attribute \"lastNam\". Did you mean \"lastName\"?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ActivateAsync_Expression_IsLiveAtOnceAndEvaluatedOnRead()
    {
        var saved = await _store.SaveAsync(Actor, null, Formula("full_name", "trim(firstName + ' ' + lastName)"));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        var age = await _store.SaveAsync(Actor, null, Formula("age", "age(birthday)"));
        await _store.ActivateAsync(Actor, saved.Definition!.Id);
        await _store.ActivateAsync(Actor, age.Definition!.Id);

        Assert.Equal(BackfillState.Done, (await _store.BackfillAsync(saved.Definition.Id))!.State);
        var values = await _expressions.ValuesOfProfileAsync(1, []);
        Assert.Equal(["38", "\"Ada Lovelace\""], values.Select(v => v.ValueJson));

        // A day later the age moves without any new data.
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal("39", (await _expressions.ValuesOfProfileAsync(1, [])).Single(v => v.Definition.Name == "age").ValueJson);
    }

    [Fact]
    public async Task SaveAsync_ExpressionReadingItselfThroughAnother_IsRefused()
    {
        var a = await _store.SaveAsync(Actor, null, Formula("a_name", "upper(firstName)"));
        Assert.True((await _store.SaveAsync(Actor, null, Formula("b_name", "lower(a_name)"))).Succeeded);

        var cycle = await _store.SaveAsync(Actor, a.Definition!.Id, Formula("a_name", "b_name"));

        Assert.False(cycle.Succeeded);
        // Named as the cycle it is (it said "Unknown attribute \"b_name\"", though b_name exists).
        Assert.StartsWith("\"b_name\" reads \"a_name\": a_name cannot read it back", cycle.Problems[0]);
    }

    [Fact]
    public async Task PreviewAsync_Formula_GivesTopValuesAndExamples()
    {
        var preview = await _expressions.PreviewAsync("if(startsWith(firstName, 'A'), 'a', 'other')".Replace("startsWith", "starts_with"), null);

        Assert.Empty(preview.Problems);
        Assert.Equal(2, preview.Distribution.ProfilesScanned);
        Assert.Equal(["\"a\"", "\"other\""], preview.Distribution.TopValues.Select(t => t.ValueJson).Order());
        Assert.False(preview.Distribution.Numeric);

        var numbers = await _expressions.PreviewAsync("years_between(date(birthday), date('2026-01-01'))", null);
        Assert.True(numbers.Distribution.Numeric);
        Assert.NotEmpty(numbers.Distribution.Histogram);
    }
}
