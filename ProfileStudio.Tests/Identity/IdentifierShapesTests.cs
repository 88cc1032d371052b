using ProfileStudio.Core.Identity;

namespace ProfileStudio.Tests.Identity;

public sealed class IdentifierShapesTests
{
    private static string[] Candidates(string text) => IdentifierShapes.CandidateNamespaces(text, IdentityRules.Default).Select(n => n.Name).ToArray();

    [Theory]
    [InlineData("07779672805")]
    [InlineData("+44 7779 672805")]
    [InlineData("+44 (0)7779-672805")]
    [InlineData("0044 7779 672805")]
    public void CandidateNamespaces_APhoneNumber_IncludesPhone(string text) => Assert.Contains("phone", Candidates(text));

    [Fact]
    public void CandidateNamespaces_AnEmailAddress_IsEmailAndTheNamespacesKeepingValuesAsTheyAre() =>
        Assert.Equal(["user_id", "crm_id", "email", "loyalty_id", "anonymous_id"], Candidates("Ada@Example.com"));

    [Fact]
    public void CandidateNamespaces_AUuid_IncludesTheAnonymousId()
    {
        Assert.Contains("anonymous_id", Candidates("3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b"));
        Assert.DoesNotContain("email", Candidates("3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b"));
        Assert.True(IdentifierShapes.IsUuid("3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b"));
    }

    [Fact]
    public void CandidateNamespaces_TextWithSpaces_IsTriedInTheNamespacesKeepingValuesAsTheyAre() =>
        // Ingestion accepts "a b" as a user id: a bare search for it finds that profile (and still searches names).
        Assert.Equal(["user_id", "crm_id", "loyalty_id", "anonymous_id"], Candidates("Ada Lovelace"));

    [Fact]
    public void CandidateNamespaces_Nothing_IsNoIdentifier() => Assert.Empty(Candidates("  "));

    [Theory]
    [InlineData("ada@example.com", true)]
    [InlineData("ada@", false)]
    [InlineData("ada lovelace@example.com", false)]
    [InlineData("email:ada@example.com", false)]
    public void IsEmail_TheShapeOfAnAddress(string text, bool expected) => Assert.Equal(expected, IdentifierShapes.IsEmail(text));

    [Theory]
    [InlineData("07779672805", true)]
    [InlineData("+44 7779 672805", true)]
    [InlineData("12345", false)] // too short for a phone number: an id
    [InlineData("C-1042", false)]
    [InlineData("2026-11-23", true)] // digits and dashes: tried as a phone, which its normalizer then refuses
    public void IsPhone_DigitsWithPhoneSeparators(string text, bool expected) => Assert.Equal(expected, IdentifierShapes.IsPhone(text));
}
