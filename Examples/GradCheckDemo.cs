using System.Diagnostics;
using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples;

/// <summary>
/// Lab L3-WP done right: the lab trained by perturbing each weight (forward differences, δ = 0.1) for hours.
/// Here the finite-difference gradient of the L3 network is computed once, beside the tape's, to compare values and cost.
/// </summary>
internal static class GradCheckDemo
{
    public static int Run(int samples, TextWriter log)
    {
        var (train, _) = BundledDigits.Load<double>();
        var rng = new Rng(2);
        var model = new Sequential<double>(new Linear<double>(784, 20, rng: rng), new ReLU<double>(), new Linear<double>(20, 10, rng: rng));
        foreach (var p in model.Parameters()) Init.Uniform(p, -0.5, 0.5, rng);
        var batch = train.Subset(Enumerable.Range(0, samples).ToArray());
        var x = batch.FeaturesTensor();
        var labels = batch.Labels;
        double Loss() => model.Forward(x).CrossEntropyLoss(labels).Item();

        log.WriteLine($"L3 network 784→20 ReLU→10, {model.ParameterCount:N0} parameters, cross-entropy on {samples} bundled digits, float64");

        // The tape's time is the median of 21 runs after half a second of warm-up, so that the JIT has
        // promoted the hot methods to optimized code (the finite differences run long enough to get there anyway).
        void TapeGradient()
        {
            model.ZeroGrad();
            model.Forward(x).CrossEntropyLoss(labels).Backward();
        }
        for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 500;) TapeGradient();
        var tapeRuns = new List<TimeSpan>();
        for (int run = 0; run < 21; run++)
        {
            var sw = Stopwatch.StartNew();
            TapeGradient();
            tapeRuns.Add(sw.Elapsed);
        }
        var tapeTime = tapeRuns.Order().ElementAt(10);

        double maxAbs = 0, maxRel = 0, maxAbsForward = 0;
        var fdTime = new Stopwatch();
        var wpTime = new Stopwatch();
        double baseLoss;
        using (Grad.NoGrad()) baseLoss = Loss();
        foreach (var (name, p) in model.NamedParameters())
        {
            fdTime.Start();
            var numeric = GradCheck.NumericGradient(Loss, p, eps: 1e-6);
            fdTime.Stop();
            wpTime.Start();
            var forward = ForwardDifferences(Loss, p, delta: 0.1, baseLoss);
            wpTime.Stop();
            var analytic = p.Grad!.AsReadOnlySpan();
            for (int i = 0; i < numeric.Length; i++)
            {
                double diff = Math.Abs(analytic[i] - numeric[i]);
                maxAbs = Math.Max(maxAbs, diff);
                maxRel = Math.Max(maxRel, diff / Math.Max(1e-8, Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric[i]))));
                maxAbsForward = Math.Max(maxAbsForward, Math.Abs(analytic[i] - forward[i]));
            }
            log.WriteLine($"  {name,-10} {p.Shape,-10} checked");
        }
        log.WriteLine($"tape gradient (one forward + backward, median): {tapeTime.TotalMilliseconds,10:F2} ms");
        log.WriteLine($"central differences, eps 1e-6 (2 forwards/weight): {fdTime.Elapsed.TotalMilliseconds,10:F0} ms  max |diff| {maxAbs:E2}, max rel {maxRel:E2}");
        log.WriteLine($"lab L3-WP forward differences, δ 0.1:          {wpTime.Elapsed.TotalMilliseconds,10:F0} ms  max |diff| {maxAbsForward:E2}");
        log.WriteLine($"the tape is {fdTime.Elapsed / tapeTime:N0}× faster than central differences and exact to rounding");
        bool ok = maxAbs <= 1e-5 + 1e-3 * 1;  // GradCheck's default tolerance, with |numeric| ≤ 1 here
        log.WriteLine(ok ? "gradcheck: PASS" : "gradcheck: FAIL");
        return ok ? 0 : 1;
    }

    private static double[] ForwardDifferences(Func<double> loss, Tensor<double> p, double delta, double baseLoss)
    {
        var g = new double[p.Length];
        using var _ = Grad.NoGrad();
        for (int i = 0; i < g.Length; i++)
        {
            double saved = p.AsSpan()[i];
            p.AsSpan()[i] = saved + delta;
            g[i] = (loss() - baseLoss) / delta;
            p.AsSpan()[i] = saved;
        }
        return g;
    }
}
