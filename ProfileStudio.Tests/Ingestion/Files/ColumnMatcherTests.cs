using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Tests.Ingestion.Files;

public sealed class ColumnMatcherTests
{
    private static readonly KnownAttributeKeys Crm = new(new Dictionary<string, long>
    {
        ["firstName"] = 2940, ["lastName"] = 2930, ["email"] = 2990, ["plan"] = 800, ["lifetimeValue"] = 1200, ["address.city"] = 400,
    });

    private static FileMapping Suggest(string[] headers, KnownAttributeKeys? known = null, IdentityRules? rules = null, params string?[][] rows) =>
        ColumnMatcher.Suggest(FileKind.ProfileRecords, headers, rows, known ?? Crm, rules ?? IdentityRules.Default);

    private static (ColumnTarget, string?) Target(FileMapping mapping, string column)
    {
        var c = mapping.Columns.Single(c => c.Column == column);
        return (c.Target, c.Name);
    }

    [Fact]
    public void Suggest_TheIssuesCsv_OneFirstNameTheEmailIdentityAndPointsAsANumber()
    {
        var mapping = Suggest(["First Name", "Last Name", "Customer Email", "Points"], rows:
            [["Ada", "Lovelace", "ada@example.com", "120"], ["Grace", "Hopper", "grace@example.com", "7.5"]]);

        Assert.Equal((ColumnTarget.Attribute, "firstName"), Target(mapping, "First Name"));
        Assert.Equal((ColumnTarget.Attribute, "lastName"), Target(mapping, "Last Name"));
        Assert.Equal((ColumnTarget.Identity, "email"), Target(mapping, "Customer Email"));
        Assert.Equal((ColumnTarget.Attribute, "points"), Target(mapping, "Points"));
        Assert.Equal(AttributeType.Number, mapping.Columns.Single(c => c.Column == "Points").Type);
        Assert.Empty(mapping.Problems(["First Name", "Last Name", "Customer Email", "Points"]));
    }

    [Theory]
    [InlineData("first_name", "firstName")]
    [InlineData("FIRST-NAME", "firstName")]
    [InlineData("firstname", "firstName")]
    [InlineData("Given name", "firstName")]
    [InlineData("Forename", "firstName")]
    [InlineData("Surname", "lastName")]
    [InlineData("Family Name", "lastName")]
    [InlineData("Customer Last Name", "lastName")]
    [InlineData("Lifetime Value", "lifetimeValue")]
    [InlineData("lifetime_value", "lifetimeValue")]
    [InlineData("Address City", "address.city")]
    [InlineData("PLAN", "plan")]
    public void Suggest_ANameThatMeansAnExistingKey_LandsOnThatKey(string header, string key) =>
        Assert.Equal((ColumnTarget.Attribute, key), Target(Suggest([header]), header));

    /// <summary>The keys of the tester's CRM import: a birthday, a nested city, a lifetime value named after the CRM.</summary>
    private static readonly KnownAttributeKeys Imported = new(new Dictionary<string, long>
    {
        ["firstName"] = 2600, ["lastName"] = 2600, ["birthday"] = 1809, ["address.city"] = 1809, ["address.country"] = 1809,
        ["address.postal_code"] = 1200, ["crm_lifetime_value"] = 1809, ["marketing_opt_in"] = 1809, ["vip"] = 1809,
    });

    [Theory]
    [InlineData("Date of Birth", "birthday")]
    [InlineData("DOB", "birthday")]
    [InlineData("date_of_birth", "birthday")]
    [InlineData("Birth Date", "birthday")]
    [InlineData("City", "address.city")]
    [InlineData("country", "address.country")]
    [InlineData("Postcode", "address.postal_code")]
    [InlineData("ZIP", "address.postal_code")]
    [InlineData("Lifetime Value", "crm_lifetime_value")]
    [InlineData("LTV", "crm_lifetime_value")]
    [InlineData("Customer Lifetime Value", "crm_lifetime_value")]
    [InlineData("CRM Lifetime Value", "crm_lifetime_value")]
    public void Suggest_ASynonymOrANestedLeafOfAnExistingKey_LandsOnThatKey(string header, string key) =>
        Assert.Equal((ColumnTarget.Attribute, key), Target(Suggest([header], Imported), header));

    [Fact]
    public void Suggest_ALeafTwoNestedKeysEndIn_IsANewKeyRatherThanAGuess()
    {
        var known = new KnownAttributeKeys(new Dictionary<string, long> { ["address.city"] = 10, ["billing.city"] = 5, ["first_name"] = 10 });

        Assert.Equal((ColumnTarget.Attribute, "city"), Target(Suggest(["City"], known), "City"));
    }

    [Fact]
    public void Suggest_TwoKeysThatDifferOnlyByTheirSystem_IsANewKeyRatherThanAGuess()
    {
        var known = new KnownAttributeKeys(new Dictionary<string, long> { ["crm_lifetime_value"] = 10, ["erp_lifetime_value"] = 5, ["first_name"] = 10 });

        Assert.Equal((ColumnTarget.Attribute, "lifetime_value"), Target(Suggest(["Lifetime Value"], known), "Lifetime Value"));
    }

    [Fact]
    public void Suggest_AKeyWrittenExactly_WinsOverAQualifiedOrNestedOne()
    {
        var known = new KnownAttributeKeys(new Dictionary<string, long> { ["city"] = 3, ["address.city"] = 900, ["lifetime_value"] = 2, ["crm_lifetime_value"] = 900 });

        var mapping = Suggest(["City", "Lifetime Value"], known);

        Assert.Equal((ColumnTarget.Attribute, "city"), Target(mapping, "City"));
        Assert.Equal((ColumnTarget.Attribute, "lifetime_value"), Target(mapping, "Lifetime Value"));
    }

    [Fact]
    public void Suggest_NoProfilesYet_ADateOfBirthIsTheSpecsBirthday_TypedAsADate()
    {
        var mapping = Suggest(["DOB"], KnownAttributeKeys.None, rows: [[""]]);

        Assert.Equal((ColumnTarget.Attribute, "birthday"), Target(mapping, "DOB"));
        Assert.Equal(AttributeType.Date, mapping.Columns[0].Type);
    }

    [Theory]
    [InlineData("ID", "id")]
    [InlineData("Number", "number")]
    public void Suggest_AGenericIdentifierName_IsNotTakenForAQualifiedKey(string header, string key)
    {
        var known = new KnownAttributeKeys(new Dictionary<string, long> { ["crm_id"] = 10, ["erp_number"] = 10, ["first_name"] = 10 });

        Assert.Equal((ColumnTarget.Attribute, key), Target(Suggest([header], known), header));
    }

    [Theory]
    [InlineData("E-mail", "email")]
    [InlineData("e_mail", "email")]
    [InlineData("Email Address", "email")]
    [InlineData("Mail", "email")]
    [InlineData("Contact Email", "email")]
    [InlineData("Mobile", "phone")]
    [InlineData("Telephone", "phone")]
    [InlineData("Phone Number", "phone")]
    [InlineData("mobileNumber", "phone")]
    [InlineData("Customer ID", "user_id")]
    [InlineData("userId", "user_id")]
    [InlineData("Loyalty Card Number", "loyalty_id")]
    [InlineData("Member Number", "loyalty_id")]
    [InlineData("CRM ID", "crm_id")]
    [InlineData("CRMId", "crm_id")]
    [InlineData("Anonymous ID", "anonymous_id")]
    public void Suggest_AnIdentifierColumn_IsThatIdentity(string header, string ns) =>
        Assert.Equal((ColumnTarget.Identity, ns), Target(Suggest([header]), header));

    [Fact]
    public void Suggest_ANamespaceConfiguredHere_IsFoundByItsNameAndItsTraitKeys()
    {
        var rules = new IdentityRules(IdentityRules.Default.Namespaces.Append(
            new IdentityNamespaceRule("shopify_id", Normalization.Trim, 6, 1, [], [], TraitKeys: ["shopifyCustomerId"])));

        var mapping = Suggest(["Shopify ID", "Shopify Customer Id"], rules: rules);

        Assert.Equal((ColumnTarget.Identity, "shopify_id"), Target(mapping, "Shopify ID"));
        Assert.Equal((ColumnTarget.Identity, "shopify_id"), Target(mapping, "Shopify Customer Id"));
    }

    [Fact]
    public void Suggest_TwoSpellingsExist_TheOneMostProfilesHaveWins()
    {
        var known = new KnownAttributeKeys(new Dictionary<string, long> { ["first_name"] = 10, ["firstName"] = 900 });

        Assert.Equal((ColumnTarget.Attribute, "firstName"), Target(Suggest(["First Name"], known), "First Name"));
    }

    [Fact]
    public void Suggest_NewColumns_FollowTheSpellingOfTheExistingKeysAndKeepAHeaderWrittenAsAKey()
    {
        var camel = Suggest(["Loyalty Tier", "signup_source", "Points"]);
        var snake = Suggest(["Loyalty Tier"], new KnownAttributeKeys(new Dictionary<string, long> { ["first_name"] = 10, ["last_name"] = 10 }));

        Assert.Equal((ColumnTarget.Attribute, "loyaltyTier"), Target(camel, "Loyalty Tier"));
        Assert.Equal((ColumnTarget.Attribute, "signup_source"), Target(camel, "signup_source"));
        Assert.Equal((ColumnTarget.Attribute, "points"), Target(camel, "Points"));
        Assert.Equal((ColumnTarget.Attribute, "loyalty_tier"), Target(snake, "Loyalty Tier"));
    }

    [Fact]
    public void Suggest_TwoColumnsForOneAttribute_DoNotBothWriteIt()
    {
        var mapping = Suggest(["First Name", "Given Name"]);

        Assert.Equal("firstName", mapping.Columns[0].Name);
        Assert.NotEqual("firstName", mapping.Columns[1].Name);
        Assert.DoesNotContain(mapping.Problems(["First Name", "Given Name"]), p => p.Contains("Two columns"));
    }

    [Fact]
    public void Suggest_NoProfilesYet_KnownConceptsTakeTheSpecsSpelling()
    {
        var mapping = Suggest(["First Name", "Surname", "Full Name"], KnownAttributeKeys.None);

        Assert.Equal(["firstName", "lastName", "name"], mapping.Columns.Select(c => c.Name));
    }

    [Fact]
    public void Suggest_EventsFile_FindsNameTimeIdentitiesAndTypedProperties()
    {
        var mapping = ColumnMatcher.Suggest(FileKind.Events, ["Event", "Occurred At", "Customer Email", "Amount"],
            [["Order Completed", "2026-11-23T14:05:00Z", "ada@example.com", "12.50"]], Crm, IdentityRules.Default);

        Assert.Equal([ColumnTarget.EventName, ColumnTarget.EventTimestamp, ColumnTarget.Identity, ColumnTarget.EventProperty], mapping.Columns.Select(c => c.Target));
        Assert.Equal(AttributeType.Number, mapping.Columns[3].Type);
    }

    [Theory]
    [InlineData(new[] { "120", "7.5", "-3", "1e3" }, AttributeType.Number)]
    [InlineData(new[] { "120", "", "NULL", null }, AttributeType.Number)]
    [InlineData(new[] { "07779672805" }, AttributeType.Text)] // a leading zero: a code, not a quantity
    [InlineData(new[] { "00123", "456" }, AttributeType.Text)]
    [InlineData(new[] { "1234567890123456789" }, AttributeType.Text)] // more digits than a double keeps
    [InlineData(new[] { "0", "1" }, AttributeType.Number)]
    [InlineData(new[] { "true", "No", "YES" }, AttributeType.Boolean)]
    [InlineData(new[] { "2026-11-23", "2026-01-02T10:00:00Z" }, AttributeType.Date)]
    [InlineData(new[] { "3/4", "2026-11-23" }, AttributeType.Text)]
    [InlineData(new[] { "12", "lots" }, AttributeType.Text)]
    [InlineData(new[] { "120", "5", "lots", "7" }, AttributeType.Number)] // three in four: "lots" is a row to reject, not a text column
    [InlineData(new[] { "+447779672805", "+441632960001" }, AttributeType.Text)] // a plus: phone numbers, not quantities
    [InlineData(new[] { "NaN" }, AttributeType.Text)]
    [InlineData(new[] { "1,5" }, AttributeType.Text)]
    public void InferType_SampledValues_TheTypeTheyAllFit(string?[] values, AttributeType expected) =>
        Assert.Equal(expected, ColumnMatcher.InferType(values));

    [Fact]
    public void InferType_MostValuesFitWhatTheNameSays_IsThatType()
    {
        Assert.Equal(AttributeType.Number, ColumnMatcher.InferType(["10.5", "NaN", "Infinity", "1", "2"], AttributeType.Number));
        Assert.Equal(AttributeType.Text, ColumnMatcher.InferType(["10.5", "NaN", "Infinity", "1", "2"]));
    }

    [Fact]
    public void InferType_NoValues_IsUnknownAndTheNameDecides()
    {
        Assert.Null(ColumnMatcher.InferType(["", null, "NULL"]));
        var mapping = Suggest(["Total Amount", "Is VIP", "Signed up at"], KnownAttributeKeys.None, rows: [["", "", ""]]);
        Assert.Equal([AttributeType.Number, AttributeType.Boolean, AttributeType.Date], mapping.Columns.Select(c => c.Type));
    }

    [Theory]
    [InlineData("firstName", new[] { "first", "name" })]
    [InlineData("First Name", new[] { "first", "name" })]
    [InlineData("first_name", new[] { "first", "name" })]
    [InlineData("CRMId", new[] { "crm", "id" })]
    [InlineData("e-mail", new[] { "e", "mail" })]
    [InlineData("address2", new[] { "address2" })]
    public void Words_SplitAtSeparatorsAndHumps(string name, string[] words) =>
        Assert.Equal(words, ColumnMatcher.Words(name));
}
