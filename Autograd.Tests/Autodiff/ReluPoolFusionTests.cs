namespace Autograd.Tests.Autodiff;

/// <summary>
/// Max pooling over a ReLU that nothing else reads takes both backwards in one pass (BackwardPass.TryBypass): its
/// gradients must equal the two ops' rules (a createGraph pass runs the rules, not the fused kernels) and the direct
/// definition, on the float32 vector path (2×2 / stride 2) and the general one (overlapping, padded windows, float64),
/// with negative and zero windows; a ReLU output read twice, retained graphs and freed graphs behave as unfused.
/// </summary>
public class ReluPoolFusionTests
{
    public sealed record Pool(string Name, int Kernel, int Stride, int Padding)
    {
        public override string ToString() => Name;
    }

    public static readonly Pool[] Pools =
    [
        new("2x2 stride 2 (vector path for float32)", 2, 2, 0),
        new("3x3 stride 2 pad 1", 3, 2, 1),
        new("2x2 stride 1, overlapping", 2, 1, 0),
    ];

    // [2, 3, 7, 7]: odd planes (the halving path leaves the last row and column to no window); about a quarter of the
    // values exactly 0 and the rest of both signs, so some windows are all ≤ 0.
    private static double[] Values(int seed)
    {
        var rng = new Rng((ulong)seed);
        var v = new double[2 * 3 * 7 * 7];
        rng.FillUniform<double>(v, -1, 1);
        for (int i = 0; i < v.Length; i += 4) v[i] = 0;
        for (int i = 0; i < 4; i++) v[i * 3 + 1] = -0.5;   // the first window of plane 0 holds no positive value
        return v;
    }

    [TestCaseSource(nameof(Pools))]
    public void FusedGradientMatchesTheRulesInDouble(Pool p) => CheckAgainstRules<double>(p, 1e-15);

    [TestCaseSource(nameof(Pools))]
    public void FusedGradientMatchesTheRulesInFloat(Pool p) => CheckAgainstRules<float>(p, 1e-6);

    private static void CheckAgainstRules<T>(Pool p, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var weights = Tensor.FromArray(Values(2).Select(T.CreateChecked).ToArray(), 2, 3, 7, 7);
        Tensor<T> Input() => Tensor.FromArray(Values(1).Select(T.CreateChecked).ToArray(), 2, 3, 7, 7);
        // x · w first, so that the ReLU's input is an op result (its gradient goes on through the Mul) ...
        var x = Input(); x.RequiresGrad = true;
        var pooled = (x * weights).Relu().MaxPool2d(p.Kernel, p.Stride, p.Padding);
        var upstream = Tensor.FromArray(Enumerable.Range(0, pooled.Length).Select(i => T.CreateChecked(1 + i % 7)).ToArray(), pooled.Shape.Dimensions);
        pooled.Backward(upstream);
        var fused = x.Grad!.ToArray().Select(double.CreateChecked).ToArray();

        var x2 = Input(); x2.RequiresGrad = true;
        var pooled2 = (x2 * weights).Relu().MaxPool2d(p.Kernel, p.Stride, p.Padding);
        var ruled = Functional.Grad(pooled2, x2, upstream, createGraph: true).ToArray().Select(double.CreateChecked).ToArray();

        // d x = w ⊙ d z.
        var expected = Direct(Values(1).Zip(Values(2), (a, b) => double.CreateChecked(T.CreateChecked(a) * T.CreateChecked(b))).ToArray(),
            p, upstream.ToArray().Select(double.CreateChecked).ToArray()).Zip(Values(2), (d, b) => d * double.CreateChecked(T.CreateChecked(b))).ToArray();
        Assert.That(expected.Count(v => v != 0), Is.GreaterThan(10), "the case has gradients to compare");
        Assert.That(expected.Where((v, i) => v == 0 && Values(1)[i] * Values(2)[i] < 0).Count(), Is.GreaterThan(0), "and negative maxima");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(fused[i], Is.EqualTo(ruled[i]).Within(tolerance), $"fused vs rules at {i}");
            Assert.That(fused[i], Is.EqualTo(expected[i]).Within(tolerance * 10), $"fused vs definition at {i}");
        }
    }

    // d z for loss = ⟨upstream, maxpool(relu(z))⟩: each window's gradient to its first maximum, where that maximum is > 0.
    private static double[] Direct(double[] z, Pool p, double[] upstream)
    {
        const int planes = 6, side = 7;
        int outSide = (side + 2 * p.Padding - p.Kernel) / p.Stride + 1;
        var grad = new double[z.Length];
        for (int plane = 0, o = 0; plane < planes; plane++)
            for (int oh = 0; oh < outSide; oh++)
                for (int ow = 0; ow < outSide; ow++, o++)
                {
                    double max = double.NegativeInfinity; int at = -1;
                    for (int h = oh * p.Stride - p.Padding; h < oh * p.Stride - p.Padding + p.Kernel; h++)
                        for (int w = ow * p.Stride - p.Padding; w < ow * p.Stride - p.Padding + p.Kernel; w++)
                        {
                            if (h < 0 || w < 0 || h >= side || w >= side) continue;
                            int i = (plane * side + h) * side + w;
                            double r = Math.Max(z[i], 0);
                            if (r > max) { max = r; at = i; }
                        }
                    if (max > 0) grad[at] += upstream[o];
                }
        return grad;
    }

    [Test]
    public void FusedGradientMatchesCentralDifferences()
    {
        // GradCheck asks Functional.Grad, which never fuses: here the analytic gradient is a plain Backward's. Random
        // values: no ties within a window and no output at the ReLU's kink, so central differences are exact to rounding.
        var rng = new Rng(11);
        var xs = new double[2 * 2 * 6 * 6]; var ws = new double[2 * 2 * 3 * 3];
        rng.FillUniform<double>(xs, -1, 1); rng.FillUniform<double>(ws, -1, 1);
        var w = Tensor.FromArray(ws, 2, 2, 3, 3);
        Tensor<double> F(Tensor<double> x) => x.Conv2d(w, padding: 1).Relu().MaxPool2d(2).Sum();
        var x = Tensor.FromArray(xs, 2, 2, 6, 6);
        x.RequiresGrad = true;
        F(x).Backward();
        var analytic = x.Grad!.ToArray();
        Assert.That(analytic.Count(v => v != 0), Is.GreaterThan(20), "the maxima's inputs get gradients");
        const double eps = 1e-6;
        using (Grad.NoGrad())
            for (int i = 0; i < xs.Length; i++)
            {
                var plus = (double[])xs.Clone(); plus[i] += eps;
                var minus = (double[])xs.Clone(); minus[i] -= eps;
                double numeric = (F(Tensor.FromArray(plus, 2, 2, 6, 6)).Item() - F(Tensor.FromArray(minus, 2, 2, 6, 6)).Item()) / (2 * eps);
                Assert.That(analytic[i], Is.EqualTo(numeric).Within(1e-6), $"element {i}");
            }
    }

    [Test]
    public void ReluOutputReadTwiceIsNotFused()
    {
        // relu(z) feeds the pooling and a sum: its gradient is both, so the pooling must not write past it.
        var z = Tensor.FromArray(new[] { -1.0, 2, 3, -4, 5, -6, 7, 8, 0, 1, -2, 3, 4, -5, 6, 9 }, 1, 1, 4, 4);
        z.RequiresGrad = true;
        var r = z.Relu();
        (r.MaxPool2d(2).Sum() + r.Sum() * 0.5).Backward();
        // Positive elements get 0.5, each window's maximum 1 more; non-positive ones nothing.
        Assert.That(z.Grad!.ToArray(), Is.EqualTo(new[] { 0, 0.5, 0.5, 0, 1.5, 0, 0.5, 1.5, 0, 0.5, 0, 0.5, 1.5, 0, 0.5, 1.5 }));
    }

    [Test]
    public void RetainedGraphFusesAgainAndAFreedOneStillThrows()
    {
        var z = Tensor.FromArray(new[] { -1f, 2, 3, -4, 5, -6, 7, 8, 0, 1, -2, 3, 4, -5, 6, 9 }, 1, 1, 4, 4);
        z.RequiresGrad = true;
        var y = (z * 1f).Relu().MaxPool2d(2).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.That(z.Grad!.ToArray(), Is.EqualTo(new[] { 0f, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 2 }));
        Assert.Throws<GraphFreedException>(() => y.Backward());
    }

    [Test]
    public void AnomalyModeAndGradGiveTheSameGradient()
    {
        // Both refuse the fusion (anomaly mode checks every node, Grad may target the ReLU's output): same result.
        var values = Values(3);
        double[] Run(Func<Tensor<double>, Tensor<double>, double[]> backward)
        {
            var x = Tensor.FromArray(values, 2, 3, 7, 7);
            x.RequiresGrad = true;
            return backward(x, (x * 2.0).Relu().MaxPool2d(2).Sum());
        }
        var plain = Run((x, y) => { y.Backward(); return x.Grad!.ToArray(); });
        var anomaly = Run((x, y) =>
        {
            Grad.DetectAnomaly = true;
            try { y.Backward(); } finally { Grad.DetectAnomaly = false; }
            return x.Grad!.ToArray();
        });
        var functional = Run((x, y) => Functional.Grad(y, x).ToArray());
        Assert.That(plain.Count(v => v != 0), Is.GreaterThan(10));
        Assert.That(anomaly, Is.EqualTo(plain));
        Assert.That(functional, Is.EqualTo(plain));
    }
}
