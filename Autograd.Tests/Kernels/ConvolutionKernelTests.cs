using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The convolution kernels (forward, backward-data, backward-weight and bias) against a direct float64 convolution
/// written out loop by loop, over stride, padding, dilation, groups, 1×1 and oversized kernels, odd sizes and N = 1;
/// float32 against the same float64 reference; accumulation; and the direct reference's own gradients against
/// central differences of its forward. The kernel tests (this class, pooling, normalization, indexing) also pass with
/// DOTNET_EnableAVX512=0 and DOTNET_EnableHWIntrinsic=0, which take the AVX2 and scalar fallbacks.
/// </summary>
public class ConvolutionKernelTests
{
    public sealed record Case(string Name, int N, int C, int H, int W, int O, int KH, int KW,
        (int, int) Stride, (int, int) Padding, (int, int) Dilation, int Groups)
    {
        internal ConvGeometry Geometry => new(N, C, H, W, O, KH, KW, Stride, Padding, Dilation, Groups);
        public override string ToString() => Name;
    }

    public static readonly Case[] Cases =
    [
        new("network conv1 3x3 1->32 pad 1", 2, 1, 28, 28, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("network conv2 3x3 32->64 pad 1", 2, 32, 14, 14, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("3x3 pad 0", 2, 3, 7, 6, 4, 3, 3, (1, 1), (0, 0), (1, 1), 1),
        new("3x3 pad 2", 2, 2, 5, 6, 3, 3, 3, (1, 1), (2, 2), (1, 1), 1),
        new("stride 2 pad 1", 2, 3, 9, 8, 4, 3, 3, (2, 2), (1, 1), (1, 1), 1),
        new("stride (2,1) pad (0,2)", 2, 2, 8, 7, 3, 3, 2, (2, 1), (0, 2), (1, 1), 1),
        new("stride 3 odd sizes", 1, 2, 11, 13, 5, 2, 4, (3, 3), (1, 0), (1, 1), 1),
        new("dilation 2", 2, 2, 9, 10, 3, 3, 3, (1, 1), (2, 2), (2, 2), 1),
        new("dilation (1,3) stride 2", 1, 3, 8, 12, 2, 2, 3, (2, 2), (1, 3), (1, 3), 1),
        new("groups 2", 2, 4, 7, 7, 6, 3, 3, (1, 1), (1, 1), (1, 1), 2),
        new("groups 3 stride 2", 1, 6, 8, 9, 3, 3, 3, (2, 2), (1, 1), (1, 1), 3),
        new("depthwise groups = channels", 2, 4, 6, 6, 8, 3, 3, (1, 1), (1, 1), (1, 1), 4),
        new("1x1 pointwise", 2, 5, 6, 7, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1),
        new("1x1 pointwise groups 2", 1, 4, 3, 5, 6, 1, 1, (1, 1), (0, 0), (1, 1), 2),
        new("1x1 stride 2", 2, 3, 7, 6, 2, 1, 1, (2, 2), (0, 0), (1, 1), 1),
        new("1x1 pad 1", 1, 2, 4, 5, 3, 1, 1, (1, 1), (1, 1), (1, 1), 1),
        new("kernel 5x5 larger than 3x3 input, pad 2", 2, 2, 3, 3, 2, 5, 5, (1, 1), (2, 2), (1, 1), 1),
        new("kernel 4x4 on 2x2, pad 1", 1, 3, 2, 2, 2, 4, 4, (1, 1), (1, 1), (1, 1), 1),
        new("non-square kernel 1x3", 2, 3, 5, 9, 2, 1, 3, (1, 1), (0, 1), (1, 1), 1),
        new("non-square kernel 3x1", 1, 3, 9, 5, 2, 3, 1, (1, 1), (1, 0), (1, 1), 1),
        new("N = 1, single channel", 1, 1, 5, 5, 1, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("conv1d as H = 1", 2, 3, 1, 17, 4, 1, 5, (1, 1), (0, 2), (1, 2), 1),
        new("conv1d stride 2 groups 3", 1, 6, 1, 20, 3, 1, 4, (1, 2), (0, 1), (1, 1), 3),
        new("wide output rows (OW > 16)", 1, 2, 4, 40, 3, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("kernel rows of 4 taps, dilation (2,3), OW = 21", 2, 2, 7, 26, 3, 2, 4, (1, 1), (1, 2), (2, 3), 1),
        // Patches of K = (C/groups)·kH·kW ≥ 32: the weight gradient lowers them transposed, in (kh, kw, c) order, and
        // permutes the sum back unless C/groups or kH·kW is 1.
        new("wide patch 3x3 8->4 pad 1", 3, 8, 6, 7, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("wide patch groups 2 stride 2 dilation 2", 3, 8, 9, 9, 6, 3, 3, (2, 2), (2, 2), (2, 2), 2),
        new("wide patch dilation (1,3)", 2, 4, 6, 12, 3, 3, 3, (1, 1), (1, 3), (1, 3), 1),
        new("wide patch 3x1 kernel stride (1,2)", 2, 12, 5, 8, 2, 3, 1, (1, 2), (1, 0), (1, 1), 1),
        new("wide patch of one channel 7x7 pad 3", 2, 1, 9, 9, 2, 7, 7, (1, 1), (3, 3), (1, 1), 1),
        new("wide patch 1x1 stride 2, 40 channels", 2, 40, 5, 5, 3, 1, 1, (2, 2), (0, 0), (1, 1), 1),
    ];

    [Test]
    public void WidePatchesLowerTransposedForTheWeightGradient()
    {
        foreach (var c in Cases.Where(c => c.Name.StartsWith("wide patch", StringComparison.Ordinal) || c.Name.Contains("conv2")))
            Assert.That(Convolution.LowersTransposed(c.Geometry), Is.True, c.Name);
        // conv1's K = 9 keeps the column matrix or, on AVX-512 with stride 1, correlates directly; a pointwise one multiplies x.
        Assert.That(Convolution.LowersTransposed(Cases[0].Geometry), Is.False);
        Assert.That(Convolution.CorrelatesWeight(Cases[0].Geometry), Is.EqualTo(System.Runtime.Intrinsics.X86.Avx512F.IsSupported));
        Assert.That(Convolution.CorrelatesWeight(Cases.Single(c => c.Name == "stride 2 pad 1").Geometry), Is.False);
        Assert.That(Convolution.LowersTransposed(Cases.Single(c => c.Name == "1x1 pointwise").Geometry), Is.False);
    }

    // Five samples, so that 2 and 3 per product leave a ragged last product (2 + 2 + 1, 3 + 2) and 5 takes them all.
    public static readonly Case[] GroupedCases =
    [
        new("network conv2, 5 samples", 5, 32, 14, 14, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("network conv1, 5 samples", 5, 1, 28, 28, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        new("groups 2 stride 2 pad 1", 5, 4, 9, 8, 6, 3, 3, (2, 2), (1, 1), (1, 1), 2),
        new("dilation 2 pad 2", 5, 3, 9, 10, 4, 3, 3, (1, 1), (2, 2), (2, 2), 1),
        new("1x1 stride 2", 5, 3, 7, 6, 2, 1, 1, (2, 2), (0, 0), (1, 1), 1),
        new("1x1 pointwise (one sample per product whatever is forced)", 5, 5, 6, 7, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    ];

    [Test]
    public void GroupedSamplesMatchTheDirectConvolution([ValueSource(nameof(GroupedCases))] Case c, [Values(1, 2, 3, 5)] int samples)
    {
        Convolution.ForcedSamplesPerProduct = samples;
        try
        {
            int expected = c.Geometry.IsPointwise ? 1 : samples;
            Assert.That(Convolution.SamplesPerProduct<double>(c.Geometry, Convolution.Pass.Forward), Is.EqualTo(expected));
            Assert.That(Convolution.SamplesPerProduct<float>(c.Geometry, Convolution.Pass.InputGradient), Is.EqualTo(expected));
            CheckAgainstReference<double>(c, 1e-12);
            CheckAgainstReference<float>(c, 2e-5);
            AccumulatingAddsToTheGradients(c);
        }
        finally { Convolution.ForcedSamplesPerProduct = 0; }
    }

    [Test]
    public void GroupedProductsAgreeWithPerSampleProducts([ValueSource(nameof(GroupedCases))] Case c)
    {
        var g = c.Geometry;
        var (x, w, bias, dy) = Inputs(c, seed: 3);
        (double[] Y, double[] Dx) Run(int samples)
        {
            Convolution.ForcedSamplesPerProduct = samples;
            try
            {
                var y = new double[g.OutputLength]; var dx = new double[g.InputLength];
                Convolution.Forward<double>(g, x, w, bias, y, new double[Convolution.ForwardScratchLength<double>(g)]);
                Convolution.BackwardData<double>(g, dy, w, dx, new double[Convolution.BackwardDataScratchLength<double>(g)], accumulate: false);
                return (y, dx);
            }
            finally { Convolution.ForcedSamplesPerProduct = 0; }
        }
        var single = Run(1);
        foreach (int samples in new[] { 2, 3, 5 })
        {
            var grouped = Run(samples);
            AssertClose(grouped.Y, single.Y, 1e-13, $"y, {samples} samples per product");
            AssertClose(grouped.Dx, single.Dx, 1e-13, $"dx, {samples} samples per product");
        }
    }

    [Test]
    public void TheRuleGroupsTheInputGradientOfSmallPlanesOnly()
    {
        var conv1 = Cases[0].Geometry;
        var conv2 = new ConvGeometry(64, 32, 14, 14, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        var conv1Batch = new ConvGeometry(64, 1, 28, 28, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        Assert.That(Convolution.SamplesPerProduct<float>(conv2, Convolution.Pass.InputGradient), Is.EqualTo(4));
        Assert.That(Convolution.SamplesPerProduct<float>(conv2, Convolution.Pass.Forward), Is.EqualTo(1));
        Assert.That(Convolution.SamplesPerProduct<float>(conv1Batch, Convolution.Pass.InputGradient), Is.EqualTo(1));
        Assert.That(Convolution.SamplesPerProduct<float>(conv1, Convolution.Pass.InputGradient), Is.EqualTo(1));
        // A wide patch on a small plane: the column matrix of one product stays within a few MB, whatever the plane asks.
        var wide = new ConvGeometry(64, 512, 7, 7, 512, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        int samples = Convolution.SamplesPerProduct<double>(wide, Convolution.Pass.InputGradient);
        Assert.That(samples, Is.InRange(1, 16));
        Assert.That((long)samples * wide.PatchLength * wide.OutPlane * sizeof(double), Is.LessThanOrEqualTo(4L << 20));
    }

    [TestCaseSource(nameof(Cases))]
    public void OutputSizeFollowsPyTorchFormula(Case c)
    {
        var g = c.Geometry;
        Assert.That(g.IsValid, Is.True, g.ToString());
        // Count the output positions directly: the last start position whose dilated window stays inside the padded input.
        int Count(int input, int kernel, int stride, int pad, int dilation)
        {
            int count = 0;
            for (int start = 0; start + dilation * (kernel - 1) < input + 2 * pad; start += stride) count++;
            return count;
        }
        Assert.That(g.OutHeight, Is.EqualTo(Count(c.H, c.KH, c.Stride.Item1, c.Padding.Item1, c.Dilation.Item1)));
        Assert.That(g.OutWidth, Is.EqualTo(Count(c.W, c.KW, c.Stride.Item2, c.Padding.Item2, c.Dilation.Item2)));
    }

    [Test]
    public void OutputSizeIsZeroWhenTheKernelDoesNotFit()
    {
        Assert.That(ConvGeometry.OutputSize(input: 3, kernel: 5, stride: 1, padding: 0, dilation: 1), Is.Zero);
        Assert.That(ConvGeometry.OutputSize(input: 3, kernel: 3, stride: 2, padding: 0, dilation: 2), Is.Zero);
        Assert.That(ConvGeometry.OutputSize(input: 3, kernel: 5, stride: 1, padding: 1, dilation: 1), Is.EqualTo(1));
        Assert.That(new ConvGeometry(1, 1, 3, 3, 1, 5, 5, (1, 1), (0, 0), (1, 1), 1).IsValid, Is.False);
        Assert.That(new ConvGeometry(1, 3, 3, 3, 2, 1, 1, (1, 1), (0, 0), (1, 1), 2).IsValid, Is.False, "3 channels in 2 groups");
    }

    [TestCaseSource(nameof(Cases))]
    public void DoubleMatchesDirectConvolution(Case c) => CheckAgainstReference<double>(c, 1e-12);

    [TestCaseSource(nameof(Cases))]
    public void FloatMatchesDirectConvolutionInDouble(Case c) => CheckAgainstReference<float>(c, 2e-5);

    [TestCaseSource(nameof(Cases))]
    public void AccumulatingAddsToTheGradients(Case c)
    {
        var g = c.Geometry;
        var (x, w, bias, dy) = Inputs(c, seed: 7);
        var expectedDx = Reference.BackwardData(g, dy, w);
        var (expectedDw, expectedDb) = Reference.BackwardWeight(g, x, dy);
        var dx = Filled(g.InputLength, 0.5); var dw = Filled(g.WeightLength, -0.25); var db = Filled(c.O, 2.0);
        Convolution.BackwardData<double>(g, dy, w, dx, new double[Convolution.BackwardDataScratchLength<double>(g)], accumulate: true);
        Convolution.BackwardWeight<double>(g, x, dy, dw, db, new double[Convolution.BackwardWeightScratchLength<double>(g)],
            accumulateWeight: true, accumulateBias: true);
        AssertClose(dx, expectedDx.Select(v => v + 0.5).ToArray(), 1e-12, "dx");
        AssertClose(dw, expectedDw.Select(v => v - 0.25).ToArray(), 1e-12, "dW");
        AssertClose(db, expectedDb.Select(v => v + 2.0).ToArray(), 1e-12, "db");
    }

    [Test]
    public void OverwritingIgnoresGarbageInOutputsAndScratch()
    {
        var c = Cases[4];
        var g = c.Geometry;
        var (x, w, bias, dy) = Inputs(c, seed: 3);
        var y = Filled(g.OutputLength, double.NaN); var dx = Filled(g.InputLength, double.NaN);
        var dw = Filled(g.WeightLength, double.NaN); var db = Filled(c.O, double.NaN);
        Convolution.Forward<double>(g, x, w, bias, y, Filled(Convolution.ForwardScratchLength<double>(g), double.NaN));
        Convolution.BackwardData<double>(g, dy, w, dx, Filled(Convolution.BackwardDataScratchLength<double>(g), double.NaN), accumulate: false);
        Convolution.BackwardWeight<double>(g, x, dy, dw, db, Filled(Convolution.BackwardWeightScratchLength<double>(g), double.NaN),
            accumulateWeight: false, accumulateBias: false);
        AssertClose(y, Reference.Forward(g, x, w, bias), 1e-12, "y");
        AssertClose(dx, Reference.BackwardData(g, dy, w), 1e-12, "dx");
        AssertClose(dw, Reference.BackwardWeight(g, x, dy).Weight, 1e-12, "dW");
    }

    [TestCase(0), TestCase(3), TestCase(12)]
    public void ReferenceGradientsMatchCentralDifferences(int caseIndex)
    {
        // The reference's backward loops are the adjoint of its forward: check them against the forward itself.
        var c = Cases[caseIndex] with { N = 1 };
        var g = c.Geometry;
        var (x, w, bias, dy) = Inputs(c, seed: 11);
        double Loss() => Reference.Forward(g, x, w, bias).Zip(dy, (a, b) => a * b).Sum();
        var dx = Reference.BackwardData(g, dy, w);
        var (dw, db) = Reference.BackwardWeight(g, x, dy);
        var rng = new Rng(5);
        foreach (var (values, gradient, name) in new[] { (x, dx, "x"), (w, dw, "W"), (bias, db, "b") })
            for (int probe = 0; probe < 12; probe++)
            {
                int i = rng.NextInt(values.Length);
                double saved = values[i], h = 1e-6;
                values[i] = saved + h; double up = Loss();
                values[i] = saved - h; double down = Loss();
                values[i] = saved;
                Assert.That(gradient[i], Is.EqualTo((up - down) / (2 * h)).Within(1e-6 * Math.Max(1, Math.Abs(gradient[i]))), $"d{name}[{i}]");
            }
    }

    [Test]
    public void EmptyBatchClearsTheWeightGradient()
    {
        var g = (Cases[2] with { N = 0 }).Geometry;
        var dw = Filled(g.WeightLength, 3.0); var db = Filled(g.OutChannels, 3.0);
        Convolution.BackwardWeight<double>(g, [], [], dw, db, new double[Convolution.BackwardWeightScratchLength<double>(g)], false, false);
        Assert.That(dw, Is.All.Zero);
        Assert.That(db, Is.All.Zero);
    }

    private static void CheckAgainstReference<T>(Case c, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = c.Geometry;
        var (x, w, bias, dy) = Inputs(c, seed: 1);
        // Scratch of exactly the length each kernel asks for: a layout that overran it would throw.
        var scratch = new T[Convolution.ForwardScratchLength<T>(g)];
        var backwardScratch = new T[Convolution.BackwardDataScratchLength<T>(g)];
        var weightScratch = new T[Convolution.BackwardWeightScratchLength<T>(g)];

        var y = new T[g.OutputLength];
        Convolution.Forward<T>(g, Cast<T>(x), Cast<T>(w), Cast<T>(bias), y, scratch);
        AssertClose(ToDouble(y), Reference.Forward(g, x, w, bias), tolerance, "y");

        Convolution.Forward<T>(g, Cast<T>(x), Cast<T>(w), ReadOnlySpan<T>.Empty, y, scratch);
        AssertClose(ToDouble(y), Reference.Forward(g, x, w, new double[c.O]), tolerance, "y without bias");

        var dx = new T[g.InputLength];
        Convolution.BackwardData<T>(g, Cast<T>(dy), Cast<T>(w), dx, backwardScratch, accumulate: false);
        AssertClose(ToDouble(dx), Reference.BackwardData(g, dy, w), tolerance, "dx");

        var dw = new T[g.WeightLength]; var db = new T[c.O];
        Convolution.BackwardWeight<T>(g, Cast<T>(x), Cast<T>(dy), dw, db, weightScratch, accumulateWeight: false, accumulateBias: false);
        var (expectedDw, expectedDb) = Reference.BackwardWeight(g, x, dy);
        AssertClose(ToDouble(dw), expectedDw, tolerance, "dW");
        AssertClose(ToDouble(db), expectedDb, tolerance, "db");

        // Without a bias gradient the weight gradient is the same.
        Convolution.BackwardWeight<T>(g, Cast<T>(x), Cast<T>(dy), dw, Span<T>.Empty, weightScratch, accumulateWeight: false, accumulateBias: false);
        AssertClose(ToDouble(dw), expectedDw, tolerance, "dW without bias");
    }

    private static (double[] X, double[] W, double[] Bias, double[] Dy) Inputs(Case c, ulong seed)
    {
        var g = c.Geometry;
        var rng = new Rng(seed);
        double[] Next(int n) { var v = new double[n]; rng.FillUniform<double>(v, -1, 1); return v; }
        return (Next(g.InputLength), Next(g.WeightLength), Next(c.O), Next(g.OutputLength));
    }

    private static double[] Filled(int n, double value) => Enumerable.Repeat(value, n).ToArray();
    internal static T[] Cast<T>(double[] v) where T : unmanaged, IFloatingPointIeee754<T> => v.Select(T.CreateChecked).ToArray();
    internal static double[] ToDouble<T>(T[] v) where T : unmanaged, IFloatingPointIeee754<T> => v.Select(double.CreateChecked).ToArray();

    // |actual − expected| ≤ tolerance · max(1, scale) elementwise, scale being the largest |expected| (sums of ~K terms).
    internal static void AssertClose(double[] actual, double[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        double scale = Math.Max(1, expected.Length == 0 ? 0 : expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * scale))
                Assert.Fail($"{what}[{i}]: {actual[i]} vs expected {expected[i]} (tolerance {tolerance * scale})");
    }

    /// <summary>The convolution written out directly from its definition, in float64, and its adjoints.</summary>
    internal static class Reference
    {
        // Calls visit(x index, weight index, y index) for every kernel tap that lands inside the input (not in the padding).
        private static void ForEachTap(ConvGeometry g, Action<int, int, int> visit)
        {
            int cg = g.InChannelsPerGroup, og = g.OutChannelsPerGroup;
            for (int n = 0; n < g.Batch; n++)
                for (int o = 0; o < g.OutChannels; o++)
                    for (int oh = 0; oh < g.OutHeight; oh++)
                        for (int ow = 0; ow < g.OutWidth; ow++)
                            for (int c = 0; c < cg; c++)
                                for (int kh = 0; kh < g.KernelHeight; kh++)
                                    for (int kw = 0; kw < g.KernelWidth; kw++)
                                    {
                                        int ih = oh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight;
                                        int iw = ow * g.StrideWidth - g.PadWidth + kw * g.DilationWidth;
                                        if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                                        int inChannel = o / og * cg + c;
                                        int xi = ((n * g.InChannels + inChannel) * g.InHeight + ih) * g.InWidth + iw;
                                        int wi = ((o * cg + c) * g.KernelHeight + kh) * g.KernelWidth + kw;
                                        int yi = ((n * g.OutChannels + o) * g.OutHeight + oh) * g.OutWidth + ow;
                                        visit(xi, wi, yi);
                                    }
        }

        public static double[] Forward(ConvGeometry g, double[] x, double[] w, double[] bias)
        {
            var y = new double[g.OutputLength];
            for (int i = 0; i < y.Length; i++) y[i] = bias[i / g.OutPlane % g.OutChannels];
            ForEachTap(g, (xi, wi, yi) => y[yi] += x[xi] * w[wi]);
            return y;
        }

        public static double[] BackwardData(ConvGeometry g, double[] dy, double[] w)
        {
            var dx = new double[g.InputLength];
            ForEachTap(g, (xi, wi, yi) => dx[xi] += dy[yi] * w[wi]);
            return dx;
        }

        public static (double[] Weight, double[] Bias) BackwardWeight(ConvGeometry g, double[] x, double[] dy)
        {
            var dw = new double[g.WeightLength];
            ForEachTap(g, (xi, wi, yi) => dw[wi] += dy[yi] * x[xi]);
            var db = new double[g.OutChannels];
            for (int i = 0; i < dy.Length; i++) db[i / g.OutPlane % g.OutChannels] += dy[i];
            return (dw, db);
        }
    }
}
