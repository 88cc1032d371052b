using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

public sealed class ProfileDirectoryTests
{
    [Theory]
    [InlineData("ada", new long[] { 1 })]
    [InlineData("ADA LOVE", new long[] { 1 })]
    [InlineData("grace@", new long[] { 2 })]
    [InlineData("Émile", new long[] { 3 })]
    [InlineData("émile z", new long[] { 3 })] // SQLite's lower() folds ASCII only: the search looks for É and é
    [InlineData("ÉMILE ZO", new long[] { 3 })]
    [InlineData("ZOLA@", new long[] { 3 })] // the e-mail, lower-cased as ingestion stores it
    [InlineData("JÜRGEN", new long[] { 4 })]
    [InlineData("ørsted", new long[0])] // a name is searched by its start
    [InlineData("jürgen ørsted", new long[] { 4 })]
    [InlineData("ho", new long[] { 2 })]
    [InlineData("a_a", new long[0])]
    [InlineData("zz", new long[0])]
    public async Task Page_NameOrEmailPrefix_FindsThePeopleWhoseNameOrEmailStartsSo(string search, long[] expected)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio,
            (1, "Ada Lovelace", "ada@example.com"),
            (2, "Hopper", "grace@navy.example"),
            (3, "Émile Zola", "zola@example.fr"),
            (4, "Jürgen Ørsted", "jürgen@example.dk"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Null(page.Problem);
        Assert.Equal(expected, page.Items.Select(p => p.Id).Order().ToArray());
    }

    [Theory]
    [InlineData("Ada Lovelace", new long[] { 1 })]
    [InlineData("ada LOVE", new long[] { 1 })] // the first name whole, then the start of the last name
    [InlineData("  Ada   Lovelace ", new long[] { 1 })]
    [InlineData("Lovelace, Ada", new long[] { 1 })] // last name first, as lists write it
    [InlineData("Lovelace Ada", new long[] { 1 })]
    [InlineData("Mary Ann Evans", new long[] { 3 })] // a first name of two words
    [InlineData("Émile Zola", new long[] { 4 })]
    [InlineData("émile zola", new long[] { 4 })] // non-ASCII letters in either case, as ASCII ones
    [InlineData("ZOLA, ÉMILE", new long[] { 4 })]
    [InlineData("ÉMILE Z", new long[] { 4 })]
    [InlineData("Ada Hopper", new long[0])] // Ada's first name and Grace's last name: two people, not one
    [InlineData("Ad Lovelace", new long[0])] // a full name starts with the whole first name
    public async Task Page_FullNameFromFirstAndLastNameTraits_FindsThePerson(string search, long[] expected)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "x", "ada@example.com"), (2, "x", "grace@navy.example"), (3, "x", "george@example.com"), (4, "x", "emile@example.fr"));
        await AddAttributeAsync(studio, 1, "firstName", "Ada");
        await AddAttributeAsync(studio, 1, "lastName", "Lovelace");
        await AddAttributeAsync(studio, 2, "first_name", "Grace");
        await AddAttributeAsync(studio, 2, "last_name", "Hopper");
        await AddAttributeAsync(studio, 3, "firstName", "Mary Ann");
        await AddAttributeAsync(studio, 3, "lastName", "Evans");
        await AddAttributeAsync(studio, 4, "first_name", "Émile");
        await AddAttributeAsync(studio, 4, "lastName", "Zola");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Null(page.Problem);
        Assert.Equal(expected, page.Items.Select(p => p.Id).Order().ToArray());
    }

    [Fact]
    public async Task FullNameQuery_SeeksTheNameIndex_AndTheOtherNameByPrimaryKey()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        var query = ProfileDirectory.FullNameQuery(["firstName", "first_name"], "Ada", ["lastName", "last_name"], "Love");
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, query.Format,
            Enumerable.Range(0, query.ArgumentCount).Select(i => (object)$"$p{i}").ToArray());
        for (var i = 0; i < query.ArgumentCount; i++)
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.Value) = ($"$p{i}", query.GetArgument(i));
            command.Parameters.Add(parameter);
        }
        var plan = await QueryPlans.StepsAsync(command);

        Assert.Contains(plan, step => step.Contains("USING INDEX IX_ProfileAttributes_NameSearch (<expr>=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    private static async Task AddAttributeAsync(StudioServices studio, long profileId, string key, string value)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        db.ProfileAttributes.Add(new ProfileAttribute
        {
            ProfileId = profileId, SourceId = 1, Key = key, ValueJson = System.Text.Json.Nodes.JsonValue.Create(value).ToJsonString(),
            EventAt = new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc), MessageId = profileId,
        });
        await db.SaveChangesAsync();
    }

    [Theory]
    [InlineData("07779672805")]
    [InlineData("+44 7779 672805")]
    [InlineData("0044 (0)7779-672805")]
    [InlineData("GRACE@navy.example")]
    [InlineData("grace@navy.example")]
    [InlineData("3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b")]
    [InlineData("C-1042")]
    public async Task Page_BareIdentifierWithoutNamespace_FindsItsProfile(string search)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"), (2, "Hopper", "grace@navy.example"));
        // Stored as ingestion stores them: the phone in E.164 (the phone namespace's normalizer, GB by default).
        await AddIdentityAsync(studio, 2, "phone", "+447779672805");
        await AddIdentityAsync(studio, 2, "anonymous_id", "3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b");
        await AddIdentityAsync(studio, 2, "crm_id", "C-1042");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Null(page.Problem);
        Assert.Equal([2L], page.Items.Select(p => p.Id));
    }

    [Theory]
    [InlineData("user_id:U-ADA-Web")]
    [InlineData("U-ADA-Web")] // without a namespace: tried in every namespace that keeps capitals
    public async Task Page_UserIdInOtherCapitals_FindsNobody_AndOffersTheSpellingsThatExist(string search)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"), (2, "Hopper", "grace@navy.example"), (3, "C", "c@x.test"));
        // User ids keep their case (u-ada-web and U-ada-web may be two people); neighbours in the index are not offered.
        await AddIdentityAsync(studio, 1, "user_id", "u-ada-web");
        await AddIdentityAsync(studio, 2, "user_id", "U-Ada-web");
        await AddIdentityAsync(studio, 3, "user_id", "u-ada-webb");
        await AddIdentityAsync(studio, 3, "user_id", "u-adb-web");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Empty(page.Items);
        Assert.Contains("No profile has exactly", page.Problem);
        Assert.Contains("capital letters count", page.Problem);
        Assert.Equal([("U-Ada-web", 2L), ("u-ada-web", 1L)], page.DidYouMean!.Select(s => (s.Value, s.ProfileId)));
        Assert.All(page.DidYouMean!, s => Assert.Equal("user_id", s.Namespace));
    }

    /// <summary>
    /// Two spellings of a 20-letter user id, and a search in a third: the walk down the (Namespace, Value) index, letter by letter in
    /// both cases, ran a statement per seek (79 here, up to 201 a namespace); it is one statement a namespace now, as for a value
    /// that starts like no identifier at all.
    /// </summary>
    [Fact]
    public async Task Page_UserIdInOtherCapitals_LooksForItsSpellingsInOneStatementPerNamespace()
    {
        var logs = new CapturingLoggerProvider();
        await using var studio = await StudioServices.StartAsync(withAccounts: false, logs: logs);
        await SeedAsync(studio, (1, "A", "a@x.test"), (2, "B", "b@x.test"));
        await AddIdentityAsync(studio, 1, "user_id", "abcdefghijklmnopqrst");
        await AddIdentityAsync(studio, 2, "user_id", "ABCDEFGHIJKLMNOPQRST");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();
        async Task<(ProfileDirectoryPage Page, int Statements)> SearchAsync(string search)
        {
            // The statements that read identifiers (the identity rules are read too, from IdentityNamespaces).
            int Statements() => logs.Entries.Count(e => e.Category == DbLoggerCategory.Database.Command.Name
                && e.Message.StartsWith("Executed DbCommand", StringComparison.Ordinal) && e.Message.Contains("Identities", StringComparison.Ordinal));
            var before = Statements();
            var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);
            return (page, Statements() - before);
        }
        var (withNamespace, withNamespaceStatements) = await SearchAsync("user_id:aBcDeFgHiJkLmNoPqRsT");
        var (bare, bareStatements) = await SearchAsync("aBcDeFgHiJkLmNoPqRsT");
        var (_, noSuchStartStatements) = await SearchAsync("zBcDeFgHiJkLmNoPqRsT");

        Assert.Equal([("ABCDEFGHIJKLMNOPQRST", 2L), ("abcdefghijklmnopqrst", 1L)], withNamespace.DidYouMean!.Select(s => (s.Value, s.ProfileId)));
        Assert.Equal(withNamespace.DidYouMean, bare.DidYouMean);
        Assert.Equal(1, withNamespaceStatements);
        Assert.Equal(noSuchStartStatements, bareStatements);
    }

    /// <summary>
    /// A namespace holding 127 spellings of a 7-letter user id (every one but the one searched): the walk stopped at 200 seeks and offered
    /// nothing, after 200 statements; it stops at 100 prefixes now, depth first, having found whole spellings to offer.
    /// </summary>
    [Fact]
    public async Task Page_NamespaceFullOfSpellingsOfTheValue_OffersSomeOfThem_InOneStatement()
    {
        var logs = new CapturingLoggerProvider();
        await using var studio = await StudioServices.StartAsync(withAccounts: false, logs: logs);
        await SeedAsync(studio, (1, "A", "a@x.test"));
        await using (var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            var at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var spellings = Enumerable.Range(0, 128).Select(bits => string.Concat("abcdefg".Select((c, i) => (bits >> i & 1) == 1 ? char.ToUpperInvariant(c) : c)));
            db.Identities.AddRange(spellings.Where(v => v != "aBcDeFg").Select(v => new IdentityRecord
            {
                Namespace = "user_id", Value = v, ProfileId = 1, SourceId = 1, FirstMessageId = 1, LastMessageId = 1, FirstSeenAt = at, LastSeenAt = at,
            }));
            await db.SaveChangesAsync();
        }
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();
        var before = logs.Entries.Count;

        var page = await directory.PageAsync("user_id:aBcDeFg", ProfileSort.LastActivityNewest, 0, 25);

        Assert.Equal(5, page.DidYouMean!.Count);
        Assert.All(page.DidYouMean, s => Assert.True(s.Value != "aBcDeFg" && string.Equals(s.Value, "aBcDeFg", StringComparison.OrdinalIgnoreCase), s.Value));
        Assert.Single(logs.Entries.Skip(before), e => e.Category == DbLoggerCategory.Database.Command.Name
            && e.Message.StartsWith("Executed DbCommand", StringComparison.Ordinal) && e.Message.Contains("Identities", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("user_id:JÖRG-ØSTBY")]
    [InlineData("JÖRG-ØSTBY")]
    public async Task Page_UserIdWithNonAsciiLettersInOtherCapitals_OffersTheSpellingThatExists(string search)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Jörg", "jorg@example.de"));
        await AddIdentityAsync(studio, 1, "user_id", "jörg-østby");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Empty(page.Items);
        Assert.Equal([("jörg-østby", 1L)], page.DidYouMean!.Select(s => (s.Value, s.ProfileId)));
    }

    [Theory]
    [InlineData("émile", new[] { "émile", "Émile" })]
    [InlineData("Ada", new[] { "Ada" })] // SQLite's lower() folds ASCII letters itself
    [InlineData("ßø", new[] { "ßø", "ßØ" })] // ß has no capital of its own in the invariant culture
    [InlineData("a😀é", new[] { "a😀é", "a😀É" })] // a surrogate pair stays as typed
    [InlineData("ǅe", new[] { "ǅe", "ǆe", "Ǆe" })] // a title-case letter: as typed, and in both cases
    public void NameSpellings_GiveEachNonAsciiLetterInBothCases(string text, string[] expected)
    {
        Assert.Equal(expected.Order(StringComparer.Ordinal), ProfileDirectory.NameSpellings(text, 16).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NameSpellings_StopAtTheBound_TheLettersPastItAsTyped()
    {
        var spellings = ProfileDirectory.NameSpellings("éèêëē", 16);

        Assert.Equal(16, spellings.Distinct(StringComparer.Ordinal).Count());
        Assert.All(spellings, s => Assert.True(s.EndsWith('ē') && string.Equals(s, "éèêëē", StringComparison.OrdinalIgnoreCase), s));
    }

    [Theory]
    [InlineData("email:ADA@Example.COM")]
    [InlineData("ADA@Example.COM")]
    public async Task Page_EmailInOtherCapitals_FindsThePerson_AsIngestionLowerCasesEmails(string search)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(search, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Equal([1L], page.Items.Select(p => p.Id));
        Assert.Null(page.DidYouMean);
    }

    [Fact]
    public async Task Page_IdentifierNobodyHasInAnyCapitals_SaysNoProfileHasIt_WithoutSuggestions()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"));
        await AddIdentityAsync(studio, 1, "user_id", "u-ada-web");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync("user_id:U-ADA-APP", ProfileSort.LastActivityNewest, 0, 25);

        Assert.Equal("No profile has this identifier.", page.Problem);
        Assert.Null(page.DidYouMean);
    }

    [Fact]
    public async Task Page_BarePhoneNobodyHas_SaysSo()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync("07700 900123", ProfileSort.LastActivityNewest, 0, 25);

        Assert.Empty(page.Items);
        Assert.Contains("No profile has this identifier", page.Problem);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("#2")] // as the profile page's chip shows the id
    public async Task Page_AProfileIdAsPagesShowIt_FindsTheProfile(string typed)
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"), (2, "Hopper", "grace@navy.example"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.PageAsync(typed, ProfileSort.LastActivityNewest, 0, 25);

        Assert.Equal([2L], page.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task Identifiers_OfANamespace_AreEachOneRow_CountedAsTheDashboardCountsThem_WithTheirPerson()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "Ada Lovelace", "ada@example.com"), (2, "Hopper", "grace@navy.example"));
        // Ada has two user ids: stitched she is one person, without stitching two profiles of the user_id namespace.
        await AddIdentityAsync(studio, 1, "user_id", "u-ada-web");
        await AddIdentityAsync(studio, 1, "user_id", "u-ada-app");
        await AddIdentityAsync(studio, 2, "user_id", "u-grace");
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var page = await directory.IdentifiersAsync(null, IdentifierSort.ValueAscending, 0, 25, ["user_id"]);
        var people = await directory.PageAsync(null, ProfileSort.CreatedOldest, 0, 25, ["user_id"], []);

        Assert.Equal(3, page.Total);
        Assert.Equal(2, people.Total);
        Assert.Equal(["u-ada-app", "u-ada-web", "u-grace"], page.Items.Select(i => i.Value));
        Assert.Equal([1L, 1L, 2L], page.Items.Select(i => i.ProfileId));
        Assert.Equal(["Ada Lovelace", "Ada Lovelace", "Hopper"], page.Items.Select(i => i.PersonName));
        Assert.All(page.Items, i => Assert.Equal("user_id", i.Namespace));
    }

    [Fact]
    public async Task Identifiers_SearchedByTheirStart_SortedAndPaged_AndNoneInTwoNamespaces()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "A", "anna@x.test"), (2, "B", "anne@x.test"), (3, "C", "bob@x.test"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var an = await directory.IdentifiersAsync("an", IdentifierSort.ValueDescending, 0, 25, ["email"]);
        var newest = await directory.IdentifiersAsync(null, IdentifierSort.FirstSeenNewest, 0, 2, ["email"]);
        var secondPage = await directory.IdentifiersAsync(null, IdentifierSort.FirstSeenNewest, 2, 2, ["email"]);
        var all = await directory.IdentifiersAsync(null, IdentifierSort.FirstSeenOldest, 0, 25, []);
        var both = await directory.IdentifiersAsync(null, IdentifierSort.ValueAscending, 0, 25, ["email", "user_id"]);
        await AddIdentityAsync(studio, 3, "user_id", "an😀-fan");
        var typedInCapitals = await directory.IdentifiersAsync("ANN", IdentifierSort.ValueAscending, 0, 25, ["email"]);
        var withAnEmojiAfter = await directory.IdentifiersAsync("an", IdentifierSort.ValueAscending, 0, 25, ["user_id"]);
        await AddIdentityAsync(studio, 3, "email", "josé@x.test"); // as ingestion lower-cases it
        var nonAsciiInCapitals = await directory.IdentifiersAsync("JOSÉ", IdentifierSort.ValueAscending, 0, 25, ["email"]);

        Assert.Equal(["anne@x.test", "anna@x.test"], an.Items.Select(i => i.Value));
        Assert.Equal(2, an.Total);
        Assert.Equal(["bob@x.test", "anne@x.test"], newest.Items.Select(i => i.Value));
        Assert.Equal(3, newest.Total);
        Assert.Equal(["anna@x.test"], secondPage.Items.Select(i => i.Value));
        Assert.Equal(["anna@x.test", "anne@x.test", "bob@x.test"], all.Items.Select(i => i.Value));
        Assert.Equal(0, both.Total);
        Assert.Empty(both.Items);
        Assert.Equal(["anna@x.test", "anne@x.test"], typedInCapitals.Items.Select(i => i.Value)); // e-mails are stored in lower case
        Assert.Equal(["an😀-fan"], withAnEmojiAfter.Items.Select(i => i.Value));
        Assert.Equal(["josé@x.test"], nonAsciiInCapitals.Items.Select(i => i.Value));
    }

    private static async Task AddIdentityAsync(StudioServices studio, long profileId, string ns, string value)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        var at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        db.Identities.Add(new IdentityRecord { Namespace = ns, Value = value, ProfileId = profileId, SourceId = 1, FirstMessageId = 1, LastMessageId = 1, FirstSeenAt = at, LastSeenAt = at });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Page_SortedByCreated_OldestFirstAndNewestFirst()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, "A", "a@x.test"), (2, "B", "b@x.test"), (3, "C", "c@x.test"));
        var directory = studio.Services.GetRequiredService<ProfileDirectory>();

        var oldest = await directory.PageAsync(null, ProfileSort.CreatedOldest, 0, 25);
        var newest = await directory.PageAsync(null, ProfileSort.CreatedNewest, 0, 2);

        Assert.Equal([1L, 2L, 3L], oldest.Items.Select(p => p.Id));
        Assert.Equal(3, newest.Total);
        Assert.Equal([3L, 2L], newest.Items.Select(p => p.Id));
    }

    private static async Task SeedAsync(StudioServices studio, params (long Id, string Name, string Email)[] people)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        var at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var (id, name, email) in people)
        {
            var created = at.AddDays(id);
            db.Profiles.Add(new Profile { Id = id, CreatedAt = created, UpdatedAt = created, FirstMessageId = id, LastMessageId = id });
            db.Identities.Add(new IdentityRecord { Namespace = "email", Value = email, ProfileId = id, SourceId = 1, FirstMessageId = id, LastMessageId = id, FirstSeenAt = created, LastSeenAt = created });
            db.ProfileAttributes.Add(new ProfileAttribute { ProfileId = id, SourceId = 1, Key = "name", ValueJson = System.Text.Json.Nodes.JsonValue.Create(name).ToJsonString() /* as the engine stores it */, EventAt = created, MessageId = id });
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task NameSearchQuery_UsesThePartialExpressionIndex()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """
            SELECT DISTINCT ProfileId AS Value FROM ProfileAttributes
            WHERE Key IN ('name', 'firstName', 'lastName', 'first_name', 'last_name', 'email')
              AND lower(ValueJson) >= '"ada' AND lower(ValueJson) < '"adb' LIMIT 1000
            """;
        var plan = await QueryPlans.StepsAsync(command);

        Assert.Contains(plan, step => step.Contains("USING INDEX IX_ProfileAttributes_NameSearch", StringComparison.Ordinal));
    }

    /// <summary>Every seek of the walk for a value's other spellings, and the look-up of the whole ones, is a range of the (Namespace, Value) index.</summary>
    [Fact]
    public async Task CaseVariantsQuery_SeeksTheNamespaceValueIndex()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        var query = ProfileDirectory.CaseVariantsQuery("user_id", "U-ADA-Web");
        command.CommandText = System.Text.RegularExpressions.Regex.Replace(query.Format, @"\{(\d+)\}", "$$p$1");
        foreach (var (argument, i) in query.GetArguments().Select((a, i) => (a, i)))
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.Value) = ($"$p{i}", argument);
            command.Parameters.Add(parameter);
        }
        var plan = await QueryPlans.StepsAsync(command);

        Assert.Contains("SEARCH i EXISTS USING COVERING INDEX IX_Identities_Namespace_Value (Namespace=? AND Value>? AND Value<?)", plan);
        Assert.Contains("SEARCH Identities USING INDEX IX_Identities_Namespace_Value (Namespace=? AND Value=?)", plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN Identities", StringComparison.Ordinal) || step.StartsWith("SCAN i", StringComparison.Ordinal));
    }
}
