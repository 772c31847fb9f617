using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class SchedulerTests
{
    private static Sgd<double> Optimizer(double lr)
    {
        var p = Tensor.Zeros<double>(2);
        p.RequiresGrad = true;
        return new Sgd<double>([p], lr);
    }

    private static double[] Run(LrScheduler scheduler, int epochs)
    {
        var lrs = new List<double> { scheduler.Optimizer.LearningRate };
        for (int e = 0; e < epochs; e++) { scheduler.Step(); lrs.Add(scheduler.Optimizer.LearningRate); }
        return lrs.ToArray();
    }

    [Test]
    public void StepLrDecaysEveryStepSizeEpochs()
    {
        var lrs = Run(new StepLr(Optimizer(0.1), stepSize: 3, gamma: 0.5), 7);
        Assert.That(lrs, Is.EqualTo(new[] { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025 }).Within(1e-15));
    }

    [Test]
    public void CosineAnnealingFollowsTheHalfCosine()
    {
        // ηmin + (base − ηmin)(1 + cos(π e / 4))/2 with base 0.1, ηmin 0.01: cos(π/4) = √½, cos(3π/4) = −√½.
        double h = Math.Sqrt(0.5);
        var lrs = Run(new CosineAnnealingLr(Optimizer(0.1), tMax: 4, etaMin: 0.01), 4);
        Assert.That(lrs, Is.EqualTo(new[] { 0.1, 0.01 + 0.09 * (1 + h) / 2, 0.055, 0.01 + 0.09 * (1 - h) / 2, 0.01 }).Within(1e-15));
    }

    [Test]
    public void SchedulerSetsTheRateTheOptimizerUses()
    {
        var p = Tensor.FromArray(new[] { 1.0 });
        p.RequiresGrad = true;
        var opt = new Sgd<double>([p], 0.1);
        var scheduler = new StepLr(opt, stepSize: 1, gamma: 0.5);
        scheduler.Step();
        (p * Tensor.FromArray(new[] { 1.0 })).Sum().Backward();
        opt.Step();
        Assert.That(p[0], Is.EqualTo(1 - 0.05).Within(1e-15));
        Assert.That(scheduler.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void InvalidSchedulesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLr(Optimizer(0.1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLr(Optimizer(0.1), 0));
    }
}

public class GradClipTests
{
    private static Tensor<double> WithGrad(double[] values, double[] grad)
    {
        var p = Tensor.FromArray(values);
        p.RequiresGrad = true;
        (p * Tensor.FromArray(grad)).Sum().Backward();
        return p;
    }

    [Test]
    public void ClipGradNormScalesAllGradientsByOneGlobalFactor()
    {
        var a = WithGrad([0, 0], [3, 4]);
        var b = WithGrad([0], [12]);
        double norm = GradClip.ClipGradNorm([a, b], maxNorm: 6.5);
        Assert.That(norm, Is.EqualTo(13).Within(1e-12));   // √(9 + 16 + 144)
        double c = 6.5 / (13 + 1e-6);
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 3 * c, 4 * c }).Within(1e-12));
        Assert.That(b.Grad!.ToArray(), Is.EqualTo(new[] { 12 * c }).Within(1e-12));
    }

    [Test]
    public void ClipGradNormLeavesSmallGradientsAndSkipsMissingOnes()
    {
        var a = WithGrad([0, 0], [3, 4]);
        var noGrad = Tensor.Zeros<double>(3);
        double norm = GradClip.ClipGradNorm(new List<Tensor<double>> { a, noGrad }.AsEnumerable(), maxNorm: 10);
        Assert.That(norm, Is.EqualTo(5).Within(1e-12));
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 3.0, 4.0 }));
    }

    [Test]
    public void ClipGradNormCanRejectNonFiniteGradients()
    {
        var a = WithGrad([0, 0], [double.NaN, 1]);
        Assert.Throws<ArithmeticException>(() => GradClip.ClipGradNorm([a], 1, errorIfNonfinite: true));
    }

    [Test]
    public void ClipGradValueClampsElements()
    {
        var a = WithGrad([0, 0, 0], [-3, 0.5, 7]);
        GradClip.ClipGradValue([a], 1);
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { -1, 0.5, 1 }));
    }
}
