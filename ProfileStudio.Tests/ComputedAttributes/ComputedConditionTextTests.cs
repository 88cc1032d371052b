using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>A definition's conditions as the list, the profile page and the audit log show them.</summary>
public sealed class ComputedConditionTextTests
{
    [Fact]
    public void Where_EveryKindOfOperator_ReadsAsTheEditorsWords_TextQuoted_NumbersBare()
    {
        var text = ComputedConditionText.Where(
        [
            EventCondition.Of("category", ConditionOperator.Equals, "Shoes"),
            EventCondition.Of("channel", ConditionOperator.NotEquals, "web"),
            EventCondition.Of("amount", ConditionOperator.LessThan, "100.5"),
            EventCondition.Of("sku", ConditionOperator.StartsWith, "SKU-"),
            EventCondition.Of("country", ConditionOperator.InList, "FR", "DE"),
            EventCondition.Of("coupon", ConditionOperator.Exists),
        ]);

        Assert.Equal("where category equals \"Shoes\" and channel not equals \"web\" and amount < 100.5 and sku starts with \"SKU-\""
            + " and country in list (\"FR\", \"DE\") and coupon exists", text);
    }

    [Fact]
    public void Where_NoCondition_IsEmpty() => Assert.Equal("", ComputedConditionText.Where([]));

    [Fact]
    public void Json_GivesPathOperatorAndValues_AsTheApiSpellsOperators()
    {
        var json = ComputedConditionText.Json([EventCondition.Of("amount", ConditionOperator.GreaterOrEqual, "4")])!.ToJsonString();

        Assert.Equal("""[{"path":"amount","operator":"greater_or_equal","values":["4"]}]""", json);
    }
}
