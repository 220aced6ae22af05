using Raccoon.Research.Ledger;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>Issue 9, defect 2: a rule that can never hold is a load error naming the claim; every rule has a reason.</summary>
public class RuleValidationTests
{
    static Claim With(VerdictRule rule, double? claimed = 10, double? upper = null, string id = "X9-01") =>
        new(id, "009", "src", "title", "text", new ClaimedFigure("claimed", claimed, Upper: upper), rule, "notebooks/x.ipynb");

    const string Why = "a reason";

    [Fact]
    public void Every_catalog_rule_validates_and_has_a_one_line_reason()
    {
        Assert.Equal(52, ClaimCatalog.All.Count);
        foreach (var c in ClaimCatalog.All)
        {
            VerdictRules.Validate(c);
            Assert.False(string.IsNullOrWhiteSpace(c.Rule.Reason), c.Id);
            Assert.DoesNotContain('\n', c.Rule.Reason!);
            if (c.Rule.MinProfile is { } p) Assert.Contains(p, VerdictRule.Profiles);
        }
    }

    [Fact]
    public void A_depth_search_needs_a_ratio_rule_two_arms_and_a_definition_of_destabilised()
    {
        var broke = new Condition("nonFinite", ">=", 1, Why: Why);
        var ratio = new VerdictRule("ratio", 2, Why, Direction: "at-least");
        VerdictRules.Validate(With(ratio with { Search = new BreakSearch("preNorm", "postNorm", [broke]) }, 4));
        Assert.Contains("ratio rule", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(
            new VerdictRule("value", 2, Why, Search: new BreakSearch("preNorm", "postNorm", [broke])), 4))).Message);
        Assert.Contains("two different arms", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(
            ratio with { Search = new BreakSearch("preNorm", "preNorm", [broke]) }, 4))).Message);
        Assert.Contains("'destabilised'", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(
            ratio with { Search = new BreakSearch("preNorm", "postNorm", []) }, 4))).Message);
        Assert.Contains("why", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(
            ratio with { Search = new BreakSearch("preNorm", "postNorm", [broke with { Why = null }]) }, 4))).Message);
        // the catalog's T1-10 defines destabilised in claims.json, not in code
        var search = ClaimCatalog.Get("T1-10").Rule.Search!;
        Assert.Equal(["nonFinite", "finalLoss"], search.Destabilised.Select(c => c.Figure));
        Assert.Equal("initialLoss", search.Destabilised[1].Than);
    }

    [Fact]
    public void T1_11s_old_rule_a_value_with_factor_0_01_is_refused_naming_the_claim()
    {
        var e = Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("value", 0.01, Why), 50, id: "T1-11")));
        Assert.Contains("T1-11", e.Message);
        Assert.Contains("factor", e.Message);
        // and the catalog's T1-11 now validates (document 001's data judges its two parts, count and loss)
        VerdictRules.Validate(ClaimCatalog.Get("T1-11"));
    }

    [Theory]
    [InlineData("ratio", 0.5, 10.0)]  // a factor below 1
    [InlineData("ratio", 1.0, 10.0)]
    [InlineData("ratio", 2.0, 1.05)]  // the claim sits inside the no-effect band
    [InlineData("ratio", 2.0, -3.0)]
    [InlineData("count", 1.5, 10.0)]  // a relative tolerance of 150%
    [InlineData("count", 0.01, 0.0)]
    [InlineData("value", 1.0, 10.0)]
    [InlineData("value", 2.0, 0.0)]
    [InlineData("accuracy", 3.0, 120.0)]
    [InlineData("points", -1.0, 3.0)]
    [InlineData("median", 2.0, 10.0)] // an unknown kind
    public void Impossible_rules_are_load_errors_naming_the_claim(string kind, double tolerance, double claimed) =>
        Assert.Contains("X9-01", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule(kind, tolerance, Why), claimed))).Message);

    [Fact]
    public void A_rule_without_a_reason_or_with_a_bad_profile_or_band_is_refused()
    {
        Assert.Contains("reason", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2)))).Message);
        Assert.Contains("one line", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, "two\nlines")))).Message);
        Assert.Contains("minProfile", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, Why, MinProfile: "huge")))).Message);
        Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("count", 0.01, Why, NoEffect: 1.1))));
        Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, Why, NoEffect: 0.9))));
        Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("check", 2, Why), null)));
        Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, Why), null)));
        Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, Why), 5, upper: 3)));
        VerdictRules.Validate(With(new VerdictRule("ratio", 1.5, Why), 2, upper: 10));
        VerdictRules.Validate(With(new VerdictRule("report", null, Why), null));
        // A tolerance that would accept any effect at all beyond the no-effect band is refused.
        Assert.Contains("no-effect band", Assert.Throws<InvalidDataException>(() => VerdictRules.Validate(With(new VerdictRule("ratio", 2, Why), 2, upper: 10))).Message);
    }

    [Fact]
    public void Loading_a_catalog_with_an_impossible_rule_fails_naming_the_claim()
    {
        const string json = """
            [{"id": "Z1-01", "document": "009", "source": "s", "title": "t", "short": "s", "claim": "c", "notebook": "notebooks/z.ipynb",
              "claimed": {"text": "~50%", "value": 50}, "rule": {"kind": "value", "tolerance": 0.01, "reason": "r"}}]
            """;
        Assert.Contains("Z1-01", Assert.Throws<InvalidDataException>(() => ClaimCatalog.Parse(json)).Message);
        var ok = ClaimCatalog.Parse(json.Replace("0.01", "1.1"));
        Assert.Equal(1.1, ok.Single().Rule.Tolerance);
        Assert.Contains("Z1-01", Assert.Throws<InvalidDataException>(() => ClaimCatalog.Parse(json.Replace(", \"reason\": \"r\"", "").Replace("0.01", "1.1"))).Message);
    }

    [Fact]
    public void Every_threshold_is_a_condition_of_claims_json_with_its_reason()
    {
        var h404 = ClaimCatalog.Get("H4-04").Rule;
        Assert.Equal("conditions", h404.Kind);
        Assert.Contains(h404.Conditions!, c => c.Figure == "analyticExponentGap" && c.Op == ">" && c.Value == 0.2 && !string.IsNullOrWhiteSpace(c.Why));
        Assert.All(ClaimCatalog.All.SelectMany(c => (c.Rule.Conditions ?? []).Concat(c.Rule.Requires ?? []).Concat(c.Rule.Given ?? [])),
            c => Assert.False(string.IsNullOrWhiteSpace(c.Why)));
    }
}
