using Autograd.Benchmarks.Paired;

namespace Autograd.Tests.Benchmarks;

/// <summary>The paired step measurement: its quantiles, and one real (tiny) run of a case, which must report sane numbers.</summary>
public class PairedStepRunnerTests
{
    [Test]
    public void QuantilesInterpolateBetweenOrderStatistics()
    {
        double[] values = [5, 1, 4, 2, 3];   // sorted: 1 2 3 4 5
        Assert.That(PairedStepRunner.Quantile(values, 0.5), Is.EqualTo(3));
        Assert.That(PairedStepRunner.Quantile(values, 0.25), Is.EqualTo(2));
        Assert.That(PairedStepRunner.Quantile(values, 0.1), Is.EqualTo(1.4).Within(1e-12));
        Assert.That(PairedStepRunner.Quantile([2.0, 4], 0.5), Is.EqualTo(3));
        Assert.That(values, Is.EqualTo(new double[] { 5, 1, 4, 2, 3 }), "the input is not reordered");
        Assert.Throws<ArgumentException>(() => PairedStepRunner.Quantile([], 0.5));
    }

    [Test]
    public void MeasuresBothStepsOfACaseAndTheirRatio()
    {
        var r = PairedStepRunner.Measure("mlp1", 1, rounds: 5, warmup: TimeSpan.Zero);
        Assert.That(r.Network, Is.EqualTo("mlp1"));
        Assert.That(r.Batch, Is.EqualTo(1));
        Assert.That(r.Rounds, Is.EqualTo(5));
        Assert.That(r.HandMicros, Is.GreaterThan(0).And.LessThan(1e6));
        Assert.That(r.TapeMicros, Is.GreaterThan(0).And.LessThan(1e6));
        Assert.That(r.RatioQ1, Is.LessThanOrEqualTo(r.Ratio));
        Assert.That(r.Ratio, Is.LessThanOrEqualTo(r.RatioQ3));
        Assert.That(double.IsFinite(r.Ratio) && r.Ratio > 0, Is.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedStepRunner.Measure("mlp1", 1, rounds: 0, warmup: TimeSpan.Zero));
    }

    [Test]
    public void CyclesThroughCopiesOfACase()
    {
        var r = PairedStepRunner.Measure("l2sigmoid", 1, rounds: 6, warmup: TimeSpan.Zero, copies: 3);
        Assert.That(r.Rounds, Is.EqualTo(6));
        Assert.That(r.HandMicros, Is.GreaterThan(0).And.LessThan(1e6));
        Assert.That(r.TapeMicros, Is.GreaterThan(0).And.LessThan(1e6));
        Assert.That(double.IsFinite(r.Ratio) && r.Ratio > 0, Is.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedStepRunner.Measure("mlp1", 1, rounds: 2, warmup: TimeSpan.Zero, copies: 0));
    }
}
