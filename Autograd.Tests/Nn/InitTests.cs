using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// Statistical checks of the initializers on ≥ 100k samples. Tolerances are 5 standard errors: the mean's standard
/// error is σ/√n; the sample std's relative standard error is √((κ−1)/(4n)) with kurtosis κ (3 normal, 1.8 uniform),
/// at most 1/√(2n), so 5/√n is comfortably above 5 standard errors. The seeds are fixed, so the tests are deterministic;
/// the tolerances make sure they do not depend on a lucky seed.
/// </summary>
public class InitTests
{
    private static (double Mean, double Std, double Min, double Max) Stats(Tensor<double> t)
    {
        var v = t.ToArray();
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        return (mean, std, v.Min(), v.Max());
    }

    private static void AssertMoments(Tensor<double> t, double mean, double std)
    {
        var s = Stats(t);
        double n = t.Length;
        Assert.That(s.Mean, Is.EqualTo(mean).Within(5 * std / Math.Sqrt(n)), "mean");
        Assert.That(s.Std, Is.EqualTo(std).Within(5 * std / Math.Sqrt(n)), "std");
    }

    [Test]
    public void UniformHasTheRightBoundsMeanAndStd()
    {
        var t = Init.Uniform(Tensor.Zeros<double>(400, 250), -1, 3, new Rng(1));
        var s = Stats(t);
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-1));
        Assert.That(s.Max, Is.LessThan(3));
        AssertMoments(t, 1, 4 / Math.Sqrt(12));
    }

    [Test]
    public void NormalHasTheRightMeanAndStd()
    {
        var t = Init.Normal(Tensor.Zeros<double>(400, 250), 0.5, 2, new Rng(2));
        AssertMoments(t, 0.5, 2);
    }

    [Test]
    public void FansFollowPyTorchLayouts()
    {
        Assert.That(Init.Fans(new Shape(10, 784)), Is.EqualTo((784, 10)));             // Linear weight [out, in]
        Assert.That(Init.Fans(new Shape(16, 8, 3, 3)), Is.EqualTo((8 * 9, 16 * 9)));   // conv weight [out, in, kh, kw]
        var ex = Assert.Throws<ArgumentException>(() => Init.Fans(new Shape(5)));
        Assert.That(ex!.Message, Does.Contain("[5]"));
    }

    [Test]
    public void KaimingNormalStdIsGainOverSqrtFanIn()
    {
        var t = Init.KaimingNormal(Tensor.Zeros<double>(256, 512), new Rng(3));
        AssertMoments(t, 0, Math.Sqrt(2) / Math.Sqrt(512));
    }

    [Test]
    public void KaimingNormalFanOutAndNegativeSlope()
    {
        // slope 1 makes the leaky ReLU linear: gain √(2/(1+1)) = 1; fan_out = 256.
        var t = Init.KaimingNormal(Tensor.Zeros<double>(256, 512), new Rng(4), negativeSlope: 1, mode: FanMode.FanOut);
        AssertMoments(t, 0, 1 / Math.Sqrt(256));
    }

    [Test]
    public void KaimingUniformBoundIsGainTimesSqrtThreeOverFanIn()
    {
        var t = Init.KaimingUniform(Tensor.Zeros<double>(256, 512), new Rng(5));
        double bound = Math.Sqrt(2) * Math.Sqrt(3.0 / 512);
        var s = Stats(t);
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-bound));
        Assert.That(s.Max, Is.LessThanOrEqualTo(bound));
        Assert.That(s.Max, Is.GreaterThan(0.999 * bound));   // 131k draws reach the edges
        AssertMoments(t, 0, bound / Math.Sqrt(3));           // = √2/√512, the same std as KaimingNormal
    }

    [Test]
    public void XavierUniformBoundIsSqrtSixOverFanSum()
    {
        var t = Init.XavierUniform(Tensor.Zeros<double>(300, 400), new Rng(6), gain: 2);
        double bound = 2 * Math.Sqrt(6.0 / (300 + 400));
        var s = Stats(t);
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-bound));
        Assert.That(s.Max, Is.LessThanOrEqualTo(bound));
        Assert.That(s.Min, Is.LessThan(-0.999 * bound));
        AssertMoments(t, 0, bound / Math.Sqrt(3));
    }

    [Test]
    public void XavierNormalStdIsSqrtTwoOverFanSum()
    {
        var t = Init.XavierNormal(Tensor.Zeros<double>(300, 400), new Rng(7));
        AssertMoments(t, 0, Math.Sqrt(2.0 / 700));
    }

    [Test]
    public void ConstantZerosAndOnesFillEveryElement()
    {
        var t = Tensor.Normal<float>(new Shape(3, 4), 0, 1, new Rng(8));
        Assert.That(Init.Constant(t, 0.25).ToArray(), Is.All.EqualTo(0.25f));
        Assert.That(Init.Zeros(t).ToArray(), Is.All.EqualTo(0f));
        Assert.That(Init.Ones(t).ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void InitializersWorkInFloat32AndAreSeeded()
    {
        var a = Init.KaimingUniform(Tensor.Zeros<float>(20, 30), new Rng(9));
        var b = Init.KaimingUniform(Tensor.Zeros<float>(20, 30), new Rng(9));
        Assert.That(a.ToArray(), Is.EqualTo(b.ToArray()));
        Assert.That(a.ToArray().Distinct().Count(), Is.GreaterThan(590));
    }

    [TestCase(Nonlinearity.Linear, 0.0, 1.0)]
    [TestCase(Nonlinearity.Sigmoid, 0.0, 1.0)]
    [TestCase(Nonlinearity.Tanh, 0.0, 5.0 / 3)]
    [TestCase(Nonlinearity.Relu, 0.0, 1.4142135623730951)]
    [TestCase(Nonlinearity.LeakyRelu, 0.2, 1.3867504905630728)]   // √(2/1.04)
    public void GainMatchesPyTorch(Nonlinearity nonlinearity, double slope, double expected) =>
        Assert.That(Init.Gain(nonlinearity, slope), Is.EqualTo(expected).Within(1e-15));

    [Test]
    public void ManualSeedMakesDefaultInitReproducible()
    {
        Init.ManualSeed(123);
        var a = new Linear<double>(4, 4);
        Init.ManualSeed(123);
        var b = new Linear<double>(4, 4);
        Assert.That(a.Weight.ToArray(), Is.EqualTo(b.Weight.ToArray()));
    }
}
