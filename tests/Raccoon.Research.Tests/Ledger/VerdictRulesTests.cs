using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
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

    // Defect 1 of issue 9: a ratio within the tolerance band but on the wrong side of 1 used to "hold".
    [Theory]
    [InlineData(1.49, 0.75)] // R0-10 at 0.75x
    [InlineData(1.49, 0.8)]
    [InlineData(1.49, 1.0)]
    [InlineData(1.6, 0.8)]   // H4-03
    [InlineData(1.6, 1.0)]
    [InlineData(1.87, 0.95)] // G3-03
    [InlineData(1.9, 0.8)]   // T1-08
    [InlineData(1.9, 1.0)]
    public void A_ratio_on_the_wrong_side_of_1_or_with_no_effect_fails_whatever_the_tolerance(double claimed, double measured) =>
        Assert.Equal(Verdict.Fails, Decide("ratio", claimed, measured));

    [Theory]
    [InlineData(0.8, Verdict.Fails)]
    [InlineData(1.0, Verdict.Fails)]  // no speedup at all
    [InlineData(1.05, Verdict.Fails)] // inside the no-effect band
    [InlineData(1.2, Verdict.Holds)]  // 2 / 2 = 1 is the band's low end, but the no-effect band comes first
    [InlineData(10, Verdict.Holds)]
    [InlineData(20, Verdict.Holds)]   // 10 x 2
    [InlineData(20.5, Verdict.Partly)]
    public void A_claimed_range_of_2_to_10x(double measured, Verdict expected) =>
        Assert.Equal(expected, VerdictRules.Decide(new VerdictRule("ratio", 2), new ClaimedFigure("2-10x", 2, Upper: 10), measured));

    [Theory]
    [InlineData(1.49, 1.2, Verdict.Holds)]
    [InlineData(1.49, 3.0, Verdict.Partly)]
    [InlineData(1.6, 1.6, Verdict.Holds)]
    [InlineData(1.9, 4.0, Verdict.Partly)]
    public void A_ratio_on_the_claimed_side_is_judged_by_its_tolerance(double claimed, double measured, Verdict expected) =>
        Assert.Equal(expected, Decide("ratio", claimed, measured));

    // R0-11: a cold-start ratio around 1.0 must not flip between partly and fails on noise.
    [Theory]
    [InlineData(0.93)]
    [InlineData(0.97)]
    [InlineData(1.0)]
    [InlineData(1.04)]
    [InlineData(1.09)]
    public void Noise_around_1_reads_fails_for_a_claimed_speedup(double measured) =>
        Assert.Equal(Verdict.Fails, VerdictRules.Decide(new VerdictRule("ratio", 2, NoEffect: 1.1), new ClaimedFigure("10x", 10), measured));

    [Fact]
    public void The_no_effect_band_comes_from_the_rule()
    {
        var claimed = new ClaimedFigure("10x", 10);
        Assert.Equal(Verdict.Partly, VerdictRules.Decide(new VerdictRule("ratio", 2, NoEffect: 1.1), claimed, 1.2));
        Assert.Equal(Verdict.Fails, VerdictRules.Decide(new VerdictRule("ratio", 2, NoEffect: 1.5), claimed, 1.2));
    }

    [Theory]
    [InlineData(20, 30, Verdict.Inconclusive)]  // straddles claimed / 2 = 25
    [InlineData(26, 30, Verdict.Holds)]
    [InlineData(90, 110, Verdict.Inconclusive)] // straddles claimed * 2 = 100
    [InlineData(1.5, 3, Verdict.Partly)]
    [InlineData(1.0, 3, Verdict.Inconclusive)] // straddles the no-effect band
    public void An_interval_across_a_boundary_is_inconclusive(double low, double high, Verdict expected)
    {
        double mid = (low + high) / 2;
        Assert.Equal(expected, VerdictRules.Decide(new VerdictRule("ratio", 2), new ClaimedFigure("50x", 50), mid, new MeasuredInterval(low, high)));
    }

    [Fact]
    public void Intervals_straddle_boundaries_of_every_numeric_kind()
    {
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Decide(new VerdictRule("count", 0.01), new ClaimedFigure("", 1000), 1010, new(1005, 1015)));
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Decide(new VerdictRule("value", 1.5), new ClaimedFigure("", 90), 60, new(55, 65)));
        Assert.Equal(Verdict.Holds, VerdictRules.Decide(new VerdictRule("value", 1.5), new ClaimedFigure("", 90), 90, new(70, 120)));
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Decide(new VerdictRule("accuracy", 3), new ClaimedFigure("", 95), 92, new(91, 93)));
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Decide(new VerdictRule("points", 3), new ClaimedFigure("", 3), 0, new(-1, 1)));
        Assert.Throws<ArgumentException>(() => VerdictRules.Decide(new VerdictRule("ratio"), new ClaimedFigure("", 50), 10, new(20, 30)));
        Assert.Throws<ArgumentException>(() => VerdictRules.Decide(new VerdictRule("ratio"), new ClaimedFigure("", 50), 25, new(30, 20)));
    }

    [Theory]
    [InlineData(1000, 990, Verdict.Holds)]  // 1% below, exactly
    [InlineData(1000, 500, Verdict.Partly)] // a factor 2 below, exactly
    [InlineData(1000, 0, Verdict.Fails)]
    public void Count_edges(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("count", claimed, measured));

    [Theory]
    [InlineData(90, 180, Verdict.Holds)]   // factor 2 above, exactly
    [InlineData(90, 360, Verdict.Partly)]  // factor 4 above, exactly
    [InlineData(90, 361, Verdict.Fails)]
    public void Value_edges(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("value", claimed, measured));

    [Theory]
    [InlineData(95, 104, Verdict.Partly)] // 3 x 3 points above
    [InlineData(95, 104.1, Verdict.Fails)]
    public void Accuracy_edges(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("accuracy", claimed, measured));

    [Theory]
    [InlineData(3, 6, Verdict.Holds)]
    [InlineData(3, 0, Verdict.Holds)]
    [InlineData(3, -0.1, Verdict.Fails)] // the other sign, outside the tolerance
    [InlineData(4, -0.1, Verdict.Fails)]
    [InlineData(-3, -7, Verdict.Partly)]
    public void Points_edges(double claimed, double measured, Verdict expected) => Assert.Equal(expected, Decide("points", claimed, measured));

    [Fact]
    public void Boundaries_are_where_the_verdict_changes()
    {
        Assert.Equal([1.1, 25, 100], VerdictRules.Boundaries(new VerdictRule("ratio", 2), new ClaimedFigure("", 50)));
        Assert.Equal([1.1, 20], VerdictRules.Boundaries(new VerdictRule("ratio", 2), new ClaimedFigure("", 2, Upper: 10)));
    }

    // A judged verdict of parts (T1-12): a timed part whose interval crosses its boundary is undecided (null);
    // it makes the verdict inconclusive only where deciding it would change the tally.
    [Theory]
    [InlineData(new[] { 1, 1, 1 }, Verdict.Holds)]
    [InlineData(new[] { 1, 0, 1 }, Verdict.Partly)]
    [InlineData(new[] { 0, 0, 0 }, Verdict.Fails)]
    [InlineData(new[] { 1, -1, 0 }, Verdict.Partly)]       // 1 holds for sure; the open part makes it 1 or 2 of 3: partly either way
    [InlineData(new[] { 1, -1, 1 }, Verdict.Inconclusive)] // 2 or 3 of 3: partly or holds
    [InlineData(new[] { 0, -1, 0 }, Verdict.Inconclusive)] // 0 or 1 of 3: fails or partly
    [InlineData(new[] { -1 }, Verdict.Inconclusive)]
    public void A_tally_of_parts_is_inconclusive_only_where_an_undecided_part_matters(int[] parts, Verdict expected) =>
        Assert.Equal(expected, VerdictRules.Tally(parts.Select(p => p < 0 ? (bool?)null : p == 1).ToList()));

    [Fact]
    public void An_empty_tally_is_refused() => Assert.Throws<ArgumentException>(() => VerdictRules.Tally([]));

    // H4-06's order at n = 80 from the interval of the slower / faster time ratio: a point on the right side of 1
    // with an interval across 1 (the flip seen between two quiet standard runs) gives no order.
    [Theory]
    [InlineData(1.02, 1.30, Verdict.Holds)]
    [InlineData(1.00, 1.30, Verdict.Inconclusive)] // touching 1 is not beyond the spread
    [InlineData(0.97, 1.30, Verdict.Inconclusive)]
    [InlineData(0.70, 0.99, Verdict.Fails)]
    public void An_order_needs_its_whole_interval_on_one_side_of_1(double low, double high, Verdict expected) =>
        Assert.Equal(expected, VerdictRules.Order(new MeasuredInterval(low, high)));

    [Theory]
    [InlineData(1.9, 7.0, true)]
    [InlineData(1.8, 7.0, null)]   // crosses 3.7 / 2
    [InlineData(7.0, 9.0, null)]   // crosses 3.7 x 2
    [InlineData(0.6, 1.7, false)]
    [InlineData(7.5, 7.6, false)]
    public void An_interval_is_inside_outside_or_across_a_band(double low, double high, bool? expected) =>
        Assert.Equal(expected, new MeasuredInterval(low, high).Within(3.7 / 2, 3.7 * 2));

    [Fact]
    public void A_band_upside_down_is_refused() => Assert.Throws<ArgumentException>(() => new MeasuredInterval(1, 2).Within(3, 1));
}
