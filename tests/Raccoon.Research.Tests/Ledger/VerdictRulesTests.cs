using Raccoon.Research.Ledger;

namespace Raccoon.Research.Tests.Ledger;

public class VerdictRulesTests
{
    static Verdict Decide(string kind, double claimed, double measured, double? tol = null) =>
        VerdictRules.Decide(new VerdictRule(kind, tol), new ClaimedFigure("", claimed), measured);

    [Theory]
    [InlineData(50, 50, Verdict.Holds)]
    [InlineData(50, 25, Verdict.Holds)]      // exactly claimed / 2
    [InlineData(50, 100, Verdict.Holds)]     // exactly claimed * 2
    [InlineData(50, 24.9, Verdict.Partly)]   // faster, but by less than half the claim
    [InlineData(50, 100.1, Verdict.Partly)]  // faster by more than twice the claim
    [InlineData(50, 1.0, Verdict.Fails)]     // no speedup at all
    [InlineData(50, 0.5, Verdict.Fails)]     // slower
    [InlineData(0.5, 0.3, Verdict.Holds)]    // a claimed slowdown
    [InlineData(0.5, 1.2, Verdict.Fails)]
    public void Ratio(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("ratio", claimed, measured));

    [Theory]
    [InlineData(493973, 493973, Verdict.Holds)]
    [InlineData(1000, 1010, Verdict.Holds)]   // 1% exactly
    [InlineData(1000, 1011, Verdict.Partly)]
    [InlineData(1000, 1999, Verdict.Partly)]
    [InlineData(1000, 2001, Verdict.Fails)]
    [InlineData(1000, 499, Verdict.Fails)]
    public void Count(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("count", claimed, measured));

    [Theory]
    [InlineData(95, 92, Verdict.Holds)]
    [InlineData(95, 98, Verdict.Holds)]
    [InlineData(95, 91.9, Verdict.Partly)]
    [InlineData(95, 86, Verdict.Partly)]
    [InlineData(95, 85.9, Verdict.Fails)]
    public void Accuracy(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("accuracy", claimed, measured));

    [Theory]
    [InlineData(3, 0.5, Verdict.Holds)]
    [InlineData(3, 9, Verdict.Partly)]
    [InlineData(3, -2, Verdict.Fails)]
    public void Points(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("points", claimed, measured));

    [Theory]
    [InlineData(90, 45, Verdict.Holds)]
    [InlineData(90, 44, Verdict.Partly)]
    [InlineData(90, 22.4, Verdict.Fails)]
    [InlineData(90, -90, Verdict.Fails)]
    public void Value(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("value", claimed, measured));

    [Fact]
    public void A_non_finite_measurement_or_a_rule_without_a_number_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Decide("ratio", 2, double.NaN));
        Assert.Throws<ArgumentException>(() => Decide("count", 2, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => Decide("check", 1, 1));
        Assert.Throws<ArgumentException>(() => Decide("median", 1, 1));
        Assert.Throws<ArgumentException>(() => VerdictRules.Decide(new VerdictRule("ratio"), new ClaimedFigure("no number"), 3));
    }

    [Fact]
    public void Verdict_names_round_trip_and_unknown_names_are_named()
    {
        foreach (var v in Enum.GetValues<Verdict>()) Assert.Equal(v, VerdictNames.Parse(v.Name()));
        Assert.Equal("not-testable-here", Verdict.NotTestableHere.Name());
        Assert.Contains("'maybe'", Assert.Throws<FormatException>(() => VerdictNames.Parse("maybe")).Message);
    }
}
