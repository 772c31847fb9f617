using Autograd.Kernels;
using static Autograd.Tests.Kernels.ConvolutionKernelTests;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Max, average and global-average pooling against naive float64 loops: window sizes, strides and paddings including
/// overlapping windows and the 2×2 / stride-2 vector path (even, odd and multi-vector widths); ties and NaN in max
/// pooling (PyTorch's first-maximum rule); backward against the naive scatter, and the naive gradients against central
/// differences of the naive forward; float32 against float64.
/// </summary>
public class PoolingKernelTests
{
    public sealed record Case(string Name, int Planes, int H, int W, (int, int) Kernel, (int, int) Stride, (int, int) Padding)
    {
        internal PoolGeometry Geometry => new(Planes, H, W, Kernel, Stride, Padding);
        public override string ToString() => Name;
    }

    public static readonly Case[] Cases =
    [
        new("2x2 s2 network conv1 (28x28)", 3, 28, 28, (2, 2), (2, 2), (0, 0)),
        new("2x2 s2 network conv2 (14x14)", 3, 14, 14, (2, 2), (2, 2), (0, 0)),
        new("2x2 s2 odd height and width", 2, 7, 9, (2, 2), (2, 2), (0, 0)),
        new("2x2 s2 wide rows (3 vectors of outputs)", 2, 5, 70, (2, 2), (2, 2), (0, 0)),
        new("2x2 s2 one output", 1, 2, 3, (2, 2), (2, 2), (0, 0)),
        new("3x3 s2 pad 1", 2, 9, 8, (3, 3), (2, 2), (1, 1)),
        new("3x3 s1 pad 1 (overlapping)", 2, 6, 7, (3, 3), (1, 1), (1, 1)),
        new("2x3 stride (1,2) pad (1,1)", 2, 5, 8, (2, 3), (1, 2), (1, 1)),
        new("2x2 s1 (overlapping, no pad)", 1, 5, 5, (2, 2), (1, 1), (0, 0)),
        new("kernel = input", 3, 4, 5, (4, 5), (1, 1), (0, 0)),
        new("1x1", 2, 3, 4, (1, 1), (1, 1), (0, 0)),
        new("4x4 s3 pad 2", 1, 10, 11, (4, 4), (3, 3), (2, 2)),
    ];

    [TestCaseSource(nameof(Cases))]
    public void MaxPoolMatchesNaiveLoops(Case c)
    {
        var g = c.Geometry;
        Assert.That(g.IsValid, Is.True, g.ToString());
        // Values from a set of 3 make ties in most windows: the first maximum in row-major order must win, in both paths.
        var x = Quantized(g.InputLength, seed: 1);
        var (expected, expectedIndices) = Naive.Max(g, x);
        CheckMax<double>(g, x, expected, expectedIndices);
        CheckMax<float>(g, x, expected, expectedIndices);
    }

    [TestCaseSource(nameof(Cases))]
    public void MaxPoolPropagatesNaNAndHandlesInfinity(Case c)
    {
        var g = c.Geometry;
        var x = Quantized(g.InputLength, seed: 2);
        var rng = new Rng(9);
        for (int i = 0; i < x.Length / 7 + 1; i++) x[rng.NextInt(x.Length)] = double.NaN;
        for (int i = 0; i < x.Length / 7 + 1; i++) x[rng.NextInt(x.Length)] = double.NegativeInfinity;
        x[0] = double.NegativeInfinity; x[1] = double.NegativeInfinity;
        var (expected, expectedIndices) = Naive.Max(g, x);
        CheckMax<double>(g, x, expected, expectedIndices);
        CheckMax<float>(g, x, expected, expectedIndices);
    }

    [Test]
    public void WindowOfNegativeInfinityPointsAtItsFirstElement()
    {
        var g = new PoolGeometry(1, 2, 4, (2, 2), (2, 2), (0, 0));
        foreach (var run in new Action[] { () => Check<float>(), () => Check<double>() }) run();
        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = Enumerable.Repeat(T.NegativeInfinity, 8).ToArray();
            var y = new T[2]; var indices = new int[2];
            Pooling.MaxForward<T>(g, x, y, indices);
            Assert.That(indices, Is.EqualTo(new[] { 0, 2 }), typeof(T).Name);
            Assert.That(y, Is.All.EqualTo(T.NegativeInfinity));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MaxPoolBackwardScattersToTheRecordedElement(Case c)
    {
        var g = c.Geometry;
        var x = Quantized(g.InputLength, seed: 3);
        var dy = Uniform(g.OutputLength, seed: 4);
        var (_, indices) = Naive.Max(g, x);
        var expected = Naive.MaxBackward(g, dy, indices);
        foreach (bool accumulate in new[] { false, true })
        {
            var start = accumulate ? Uniform(g.InputLength, seed: 5) : Enumerable.Repeat(double.NaN, g.InputLength).ToArray();
            var want = accumulate ? expected.Zip(start, (e, s) => e + s).ToArray() : expected;
            var dxd = (double[])start.Clone();
            Pooling.MaxBackward<double>(g, dy, indices, dxd, accumulate);
            AssertClose(dxd, want, 1e-15, $"double dx, accumulate {accumulate}");
            var dxf = Cast<float>(start);
            Pooling.MaxBackward<float>(g, Cast<float>(dy), indices, dxf, accumulate);
            AssertClose(ToDouble(dxf), want, 1e-6, $"float dx, accumulate {accumulate}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void AveragePoolMatchesNaiveLoops(Case c)
    {
        var g = c.Geometry;
        var x = Uniform(g.InputLength, seed: 6);
        var dy = Uniform(g.OutputLength, seed: 7);
        var expected = Naive.Average(g, x);
        var expectedDx = Naive.AverageBackward(g, dy);

        var y = new double[g.OutputLength];
        Pooling.AverageForward<double>(g, x, y);
        AssertClose(y, expected, 1e-14, "double y");
        var yf = new float[g.OutputLength];
        Pooling.AverageForward<float>(g, Cast<float>(x), yf);
        AssertClose(ToDouble(yf), expected, 1e-6, "float y");

        var dx = Enumerable.Repeat(double.NaN, g.InputLength).ToArray();
        Pooling.AverageBackward<double>(g, dy, dx, accumulate: false);
        AssertClose(dx, expectedDx, 1e-14, "double dx");
        var dxf = Enumerable.Repeat(1f, g.InputLength).ToArray();
        Pooling.AverageBackward<float>(g, Cast<float>(dy), dxf, accumulate: true);
        AssertClose(ToDouble(dxf), expectedDx.Select(v => v + 1).ToArray(), 1e-6, "float dx accumulated");
    }

    [TestCase(0), TestCase(5), TestCase(7)]
    public void NaiveGradientsMatchCentralDifferences(int caseIndex)
    {
        var g = Cases[caseIndex].Geometry;
        // Distinct values, so every max is strict and the max pool is differentiable at x.
        var x = Enumerable.Range(0, g.InputLength).Select(i => (double)i).ToArray();
        new Rng(8).Shuffle<double>(x);
        var dy = Uniform(g.OutputLength, seed: 9);
        var (_, indices) = Naive.Max(g, x);
        CheckAgainstDifferences(x, dy, v => Naive.Max(g, v).Y, Naive.MaxBackward(g, dy, indices), "max");
        CheckAgainstDifferences(x, dy, v => Naive.Average(g, v), Naive.AverageBackward(g, dy), "average");
    }

    [TestCase(3, 1), TestCase(4, 49), TestCase(2, 196), TestCase(1, 7)]
    public void GlobalAverageMatchesNaiveMeans(int planes, int planeLength)
    {
        var x = Uniform(planes * planeLength, seed: 10);
        var dy = Uniform(planes, seed: 11);
        var expected = Enumerable.Range(0, planes).Select(p => x.Skip(p * planeLength).Take(planeLength).Average()).ToArray();
        var expectedDx = Enumerable.Range(0, planes * planeLength).Select(i => dy[i / planeLength] / planeLength).ToArray();
        var y = new double[planes];
        Pooling.GlobalAverageForward<double>(planes, planeLength, x, y);
        AssertClose(y, expected, 1e-14, "y");
        var yf = new float[planes];
        Pooling.GlobalAverageForward<float>(planes, planeLength, Cast<float>(x), yf);
        AssertClose(ToDouble(yf), expected, 1e-6, "float y");
        var dx = Enumerable.Repeat(double.NaN, x.Length).ToArray();
        Pooling.GlobalAverageBackward<double>(planes, planeLength, dy, dx, accumulate: false);
        AssertClose(dx, expectedDx, 1e-15, "dx");
        Pooling.GlobalAverageBackward<double>(planes, planeLength, dy, dx, accumulate: true);
        AssertClose(dx, expectedDx.Select(v => 2 * v).ToArray(), 1e-15, "dx accumulated");
        CheckAgainstDifferences(x, dy, v => Enumerable.Range(0, planes).Select(p => v.Skip(p * planeLength).Take(planeLength).Average()).ToArray(),
            expectedDx, "global average");
    }

    [Test]
    public void EmptyBatchTouchesNothing()
    {
        var g = new PoolGeometry(0, 5, 5, (3, 3), (2, 2), (1, 1));
        Assert.That(g.IsValid, Is.True);
        Pooling.MaxForward<double>(g, [], [], []);
        Pooling.MaxBackward<double>(g, [], [], [], accumulate: false);
        Pooling.AverageForward<double>(g, [], []);
        Pooling.AverageBackward<double>(g, [], [], accumulate: false);
        Pooling.GlobalAverageForward<double>(0, 25, [], []);
    }

    [Test]
    public void GeometryRejectsPaddingOverHalfTheKernel()
    {
        Assert.That(new PoolGeometry(1, 5, 5, (3, 3), (1, 1), (1, 1)).IsValid, Is.True);
        Assert.That(new PoolGeometry(1, 5, 5, (3, 3), (1, 1), (2, 1)).IsValid, Is.False);
        Assert.That(new PoolGeometry(1, 2, 2, (3, 3), (1, 1), (0, 0)).IsValid, Is.False, "kernel larger than the input");
    }

    private static void CheckMax<T>(PoolGeometry g, double[] x, double[] expected, int[] expectedIndices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.OutputLength];
        var indices = Enumerable.Repeat(-1, g.OutputLength).ToArray();
        Pooling.MaxForward<T>(g, Cast<T>(x), y, indices);
        Assert.That(indices, Is.EqualTo(expectedIndices), $"{typeof(T).Name} indices");
        var actual = ToDouble(y);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], double.IsNaN(expected[i]) ? Is.NaN : Is.EqualTo(expected[i]), $"{typeof(T).Name} y[{i}]");
    }

    internal static void CheckAgainstDifferences(double[] x, double[] dy, Func<double[], double[]> forward, double[] gradient, string what,
        double step = 1e-4)
    {
        double Loss(double[] v) => forward(v).Zip(dy, (a, b) => a * b).Sum();
        var probe = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            double h = step;
            probe[i] = x[i] + h; double up = Loss(probe);
            probe[i] = x[i] - h; double down = Loss(probe);
            probe[i] = x[i];
            Assert.That(gradient[i], Is.EqualTo((up - down) / (2 * h)).Within(1e-7 * Math.Max(1, Math.Abs(gradient[i]))), $"{what}: d x[{i}]");
        }
    }

    private static double[] Quantized(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => (double)rng.NextInt(3) - 1).ToArray();
    }

    internal static double[] Uniform(int n, ulong seed)
    {
        var v = new double[n];
        new Rng(seed).FillUniform<double>(v, -1, 1);
        return v;
    }

    /// <summary>Pooling written from its definition, over the padded window, in float64.</summary>
    private static class Naive
    {
        // (input index within the plane, or −1 for padding) for each window element, in row-major window order.
        private static IEnumerable<int> WindowElements(PoolGeometry g, int oh, int ow)
        {
            for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++)
                {
                    int h = oh * g.StrideHeight - g.PadHeight + kh, w = ow * g.StrideWidth - g.PadWidth + kw;
                    yield return h >= 0 && h < g.InHeight && w >= 0 && w < g.InWidth ? h * g.InWidth + w : -1;
                }
        }

        public static (double[] Y, int[] Indices) Max(PoolGeometry g, double[] x)
        {
            var y = new double[g.OutputLength]; var indices = new int[g.OutputLength];
            for (int p = 0, o = 0; p < g.Planes; p++)
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++, o++)
                    {
                        // PyTorch: the max starts at −∞ on the first real element and moves on "greater, or NaN".
                        var inside = WindowElements(g, oh, ow).Where(i => i >= 0).ToArray();
                        double best = double.NegativeInfinity; int at = inside[0];
                        foreach (int i in inside)
                        {
                            double v = x[p * g.InPlane + i];
                            if (v > best || double.IsNaN(v)) { best = v; at = i; }
                        }
                        y[o] = best; indices[o] = at;
                    }
            return (y, indices);
        }

        public static double[] MaxBackward(PoolGeometry g, double[] dy, int[] indices)
        {
            var dx = new double[g.InputLength];
            for (int o = 0; o < dy.Length; o++) dx[o / g.OutPlane * g.InPlane + indices[o]] += dy[o];
            return dx;
        }

        public static double[] Average(PoolGeometry g, double[] x)
        {
            var y = new double[g.OutputLength];
            for (int p = 0, o = 0; p < g.Planes; p++)
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++, o++)
                        y[o] = WindowElements(g, oh, ow).Sum(i => i < 0 ? 0 : x[p * g.InPlane + i]) / (g.KernelHeight * g.KernelWidth);
            return y;
        }

        public static double[] AverageBackward(PoolGeometry g, double[] dy)
        {
            var dx = new double[g.InputLength];
            for (int p = 0, o = 0; p < g.Planes; p++)
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++, o++)
                        foreach (int i in WindowElements(g, oh, ow))
                            if (i >= 0) dx[p * g.InPlane + i] += dy[o] / (g.KernelHeight * g.KernelWidth);
            return dx;
        }
    }
}
