using Raccoon.Research.Measurements;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Measurements;

public class PowerLawTests
{
    [Fact]
    public void Exponent_is_the_power_of_an_exact_power_law()
    {
        double[] n = [16, 64, 256, 1024, 4096];
        Assert.Equal(1.0, PowerLaw.Exponent(n, n.Select(x => 3e-4 * x).ToArray()), 12);
        Assert.Equal(2.0, PowerLaw.Exponent(n, n.Select(x => 5 * x * x).ToArray()), 12);
    }

    [Fact]
    public void Exponent_of_n_log_n_between_two_sizes_is_one_plus_the_log_ratio_of_their_logs()
    {
        double[] n = [256, 4096];
        // ln(4096 ln 4096 / (256 ln 256)) / ln 16 = 1 + ln(12/8) / ln 16 = 1.146...
        Assert.Equal(1 + Math.Log(12.0 / 8) / Math.Log(16), PowerLaw.Exponent(n, n.Select(x => x * Math.Log(x)).ToArray()), 12);
        Assert.Equal(1.146, PowerLaw.Exponent(n, n.Select(x => x * Math.Log(x)).ToArray()), 3);
    }

    [Fact]
    public void Exponent_fits_only_from_the_given_size_and_needs_two_sizes()
    {
        double[] n = [1, 10, 100, 1000];
        double[] cost = [50, 50, 100, 1000]; // a fixed overhead below 100, linear above
        Assert.Equal(1.0, PowerLaw.Exponent(n, cost, from: 100), 12);
        Assert.True(PowerLaw.Exponent(n, cost) < 0.7);
        Assert.Throws<ArgumentException>(() => PowerLaw.Exponent(n, cost, from: 1000));
        Assert.Throws<ArgumentException>(() => PowerLaw.Exponent([1, 2], [1, 0]));
        Assert.Throws<ArgumentException>(() => PowerLaw.Exponent([1, 2], [1]));
    }
}
