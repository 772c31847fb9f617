namespace Autograd.Tests.Core;

/// <summary>The gradient-check sweep: every row of <see cref="OpCases{T}"/> in float64, and float32 vs float64 forward.</summary>
public class GradCheckSweepTests
{
    public static IEnumerable<string> Names => OpCases<double>.All.Select(c => c.Name);

    internal static Tensor<T>[] Inputs<T>(OpCase<T> c, ulong seed, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        return c.Shapes.Select(s =>
        {
            var t = new Tensor<T>(new T[new Shape(s).Length], new Shape(s));
            var span = t.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(Sample(c.Inputs, rng));
            t.RequiresGrad = requiresGrad;
            return t;
        }).ToArray();
    }

    private static double Sample(InputKind kind, Rng rng) => kind switch
    {
        InputKind.Positive => 0.5 + 1.5 * rng.NextDouble(),
        InputKind.Probability => 0.1 + 0.8 * rng.NextDouble(),
        InputKind.AwayFromKinks => (rng.NextDouble() < 0.5 ? -1 : 1) * (0.1 + 1.9 * rng.NextDouble()),
        InputKind.AwayFromUnitBounds => AwayFromUnitBounds(rng),
        _ => -2 + 4 * rng.NextDouble(),
    };

    // Rejection sampling: a point within 0.1 of a kink would make finite differences straddle it.
    private static double AwayFromUnitBounds(Rng rng)
    {
        while (true)
        {
            double v = -2 + 4 * rng.NextDouble();
            if (Math.Abs(v) >= 0.1 && Math.Abs(Math.Abs(v) - 1) >= 0.1) return v;
        }
    }

    [TestCaseSource(nameof(Names))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var c = OpCases<double>.Get(name);
        var result = GradCheck.Run(c.Apply, Inputs(c, 42, requiresGrad: true));
        Assert.That(result.Passed, result.Report);
    }

    [TestCaseSource(nameof(Names))]
    public void Float32ForwardMatchesFloat64(string name)
    {
        var y64 = OpCases<double>.Get(name).Apply(Inputs(OpCases<double>.Get(name), 7, requiresGrad: false));
        var y32 = OpCases<float>.Get(name).Apply(Inputs(OpCases<float>.Get(name), 7, requiresGrad: false));
        Assert.That(y32.Shape, Is.EqualTo(y64.Shape));
        var a = y64.ToArray(); var b = y32.ToArray();
        for (int i = 0; i < a.Length; i++)
            Assert.That((double)b[i], Is.EqualTo(a[i]).Within(1e-4 + 1e-4 * Math.Abs(a[i])), $"{name}: element {i}");
    }

    [TestCaseSource(nameof(Names))]
    public void Float32BackwardMatchesFloat64(string name)
    {
        var x64 = Inputs(OpCases<double>.Get(name), 11, requiresGrad: true);
        var x32 = Inputs(OpCases<float>.Get(name), 11, requiresGrad: true);
        OpCases<double>.Get(name).Apply(x64).Sum().Backward();
        OpCases<float>.Get(name).Apply(x32).Sum().Backward();
        for (int k = 0; k < x64.Length; k++)
        {
            var a = x64[k].Grad!.ToArray(); var b = x32[k].Grad!.ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.That((double)b[i], Is.EqualTo(a[i]).Within(1e-3 + 1e-3 * Math.Abs(a[i])), $"{name}: input {k} element {i}");
        }
    }

    // Every backward has two modes: add onto a gradient that holds something, or overwrite a fresh/zeroed buffer
    // without reading it. Both must give the same gradient; the zeroed buffer is filled with NaN to prove it is not read.
    [TestCaseSource(nameof(Names))]
    public void BackwardAccumulatesOntoGradientsAndOverwritesZeroedOnes(string name)
    {
        var c = OpCases<double>.Get(name);
        var x = Inputs(c, 13, requiresGrad: true);
        double[]? weights = null;
        void RunBackward()
        {
            var y = c.Apply(x);
            weights ??= Enumerable.Range(0, y.Length).Select(i => 0.5 + 0.25 * (i % 5)).ToArray();
            y.Mul(new Tensor<double>(weights, y.Shape)).Sum().Backward();
        }

        RunBackward();
        var first = x.Select(t => t.Grad!.ToArray()).ToArray();
        RunBackward();
        for (int k = 0; k < x.Length; k++)
            Assert.That(x[k].Grad!.ToArray(), Is.EqualTo(first[k].Select(v => 2 * v)).Within(1e-12), $"{name}: input {k} after a second backward");

        var buffers = x.Select(t => t.Grad!).ToArray();
        foreach (var t in x) t.ZeroGrad();
        foreach (var b in buffers) b.AsSpan().Fill(double.NaN);   // what a zeroed buffer holds must not matter
        RunBackward();
        for (int k = 0; k < x.Length; k++)
            Assert.That(x[k].Grad!.ToArray(), Is.EqualTo(first[k]).Within(1e-12), $"{name}: input {k} after ZeroGrad");

        foreach (var t in x) t.ZeroGrad();
        foreach (var t in x) Assert.That(t.Grad!.ToArray(), Is.All.EqualTo(0.0), $"{name}: a zeroed gradient reads as zeros");
    }

    // ---- the second-generation core: every row's derivative rule (written with ops) against its fused kernel, and
    // the rule differentiated again against finite differences.

    // The first-order pass runs the fused span kernels; a pass that records its gradients runs the rules. Both must give
    // the same gradient on every row (weights make every output element count differently).
    [TestCaseSource(nameof(Names))]
    public void RuleAndFusedKernelAgree(string name)
    {
        var c = OpCases<double>.Get(name);
        var x = Inputs(c, 17, requiresGrad: true);
        var y = c.Apply(x);
        var weights = new Tensor<double>(Enumerable.Range(0, y.Length).Select(i => 0.5 + 0.25 * (i % 5)).ToArray(), y.Shape);
        var fused = Functional.Grad([y], x, [weights], retainGraph: true, allowUnused: true);
        var rule = Functional.Grad([y], x, [weights], createGraph: true, allowUnused: true);
        for (int k = 0; k < x.Length; k++)
        {
            Assert.That(rule[k] is null, Is.EqualTo(fused[k] is null), $"{name}: input {k} used by one path only");
            if (fused[k] is null) continue;
            Assert.That(rule[k]!.Shape, Is.EqualTo(x[k].Shape), $"{name}: input {k} rule gradient shape");
            var a = fused[k]!.ToArray(); var b = rule[k]!.ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-10 + 1e-10 * Math.Abs(a[i])), $"{name}: input {k} element {i}");
        }
    }

    [TestCaseSource(nameof(Names))]
    public void SecondDerivativeMatchesFiniteDifferences(string name)
    {
        var c = OpCases<double>.Get(name);
        if (c.SecondOrder == SecondOrder.Exempt) Assert.Ignore($"{name}: exempt from GradGradCheck (see its row).");
        var result = GradCheck.GradGradCheck(c.Apply, Inputs(c, 43, requiresGrad: true));
        Assert.That(result.Passed, result.Report);
    }

    // Ops that return a tensor but have no derivative to check (their result is a constant of the inputs).
    private static readonly HashSet<string> NotDifferentiable = ["OneHot"];

    // Every public op of Ops that returns a tensor has a row (a row's name starts with the op's name), so a new op
    // cannot skip the sweep.
    [Test]
    public void EveryPublicOpHasARow()
    {
        var ops = typeof(Ops).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(Tensor<>))
            .Select(m => m.Name).Distinct().Where(n => !NotDifferentiable.Contains(n)).ToArray();
        Assert.That(ops, Is.Not.Empty);
        var missing = ops.Where(op => !OpCases<double>.All.Any(c => c.Name.StartsWith(op, StringComparison.Ordinal))).ToArray();
        Assert.That(missing, Is.Empty, "public ops without a row in OpCases");
    }
}
