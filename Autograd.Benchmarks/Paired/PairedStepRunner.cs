using System.Diagnostics;
using System.Globalization;
using Autograd.Benchmarks.Suites;

namespace Autograd.Benchmarks.Paired;

/// <summary>
/// <c>--paired</c>: the training-step ratio measured as a paired design. BenchmarkDotNet measures the hand-derived step
/// and the tape step minutes apart, in separate processes; on a shared VM whose neighbours come and go, the two then
/// see different machines and the Ratio column swings by ±0.3 at batch 1 (docs/BENCHMARKS.md). Here both run in one
/// process, alternating in short rounds (which goes first alternates too), and the reported ratio is the median of the
/// per-round ratios, so drift that lasts longer than a round cancels. The cases are <see cref="TrainingStepBenchmarks"/>'s
/// own (same set-up, same benchmark methods).
/// </summary>
public static class PairedStepRunner
{
    /// <summary>Rounds per case; the median and quartiles are over these.</summary>
    public const int DefaultRounds = 41;

    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);   // past tiered compilation's promotion to tier 1
    private static readonly TimeSpan HalfRound = TimeSpan.FromMilliseconds(15);

    /// <summary>One case's result: medians of the per-step times (µs) and the per-round ratio's median and quartiles.</summary>
    public sealed record Result(string Network, int Batch, double HandMicros, double TapeMicros, double Ratio, double RatioQ1, double RatioQ3, int Rounds);

    /// <summary>Runs every network × batch case whose "network/batch" contains one of <paramref name="filters"/> (all when empty); prints a table.</summary>
    public static int Run(IReadOnlyList<string> filters, int rounds = DefaultRounds, TimeSpan? warmup = null, int copies = 1)
    {
        var networks = new[] { "mlp1", "mlp2", "deep", "l2sigmoid" };
        var batches = new[] { 1, 64, 1000 };
        Console.WriteLine("| network | batch | hand-derived, µs | tape, µs | ratio (median of rounds) | q1–q3 | rounds |");
        Console.WriteLine("|-|-:|-:|-:|-:|-:|-:|");
        foreach (var network in networks)
            foreach (var batch in batches)
            {
                string name = $"{network}/{batch}";
                if (filters.Count > 0 && !filters.Any(f => name.Contains(f, StringComparison.Ordinal))) continue;
                var r = Measure(network, batch, rounds, warmup ?? Warmup, copies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Network} | {r.Batch} | {r.HandMicros:F2} | {r.TapeMicros:F2} | {r.Ratio:F3} | {r.RatioQ1:F3}–{r.RatioQ3:F3} | {r.Rounds} |"));
            }
        return 0;
    }

    /// <summary>
    /// Measures one case: warm-up, then <paramref name="rounds"/> alternating rounds of hand-derived and tape steps.
    /// With <paramref name="copies"/> above 1 the case is set up that many times (each copy with its own networks and
    /// batch) and the rounds cycle through the copies, so one process's figure is not one allocation's draw.
    /// </summary>
    public static Result Measure(string network, int batch, int rounds, TimeSpan warmup, int copies = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        var hands = new Action[copies]; var tapes = new Action[copies];
        for (int i = 0; i < copies; i++)
        {
            var suite = new TrainingStepBenchmarks { Network = network, Batch = batch };
            suite.Setup();
            hands[i] = () => suite.HandDerivedStep();
            tapes[i] = () => suite.TapeStep();
        }
        Action hand = hands[0], tape = tapes[0];

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < warmup)
            for (int i = 0; i < copies; i++) { hands[i](); tapes[i](); }
        // Steps per half-round: enough that one half takes ~15 ms, so timer resolution and call overhead vanish.
        clock.Restart();
        int probe = 0;
        while (clock.Elapsed < HalfRound) { tape(); probe++; }
        int steps = Math.Max(1, probe);

        var handTimes = new double[rounds]; var tapeTimes = new double[rounds]; var ratios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            hand = hands[r % copies]; tape = tapes[r % copies];
            bool handFirst = r / copies % 2 == 0;   // each copy alternates which step goes first too
            double first = Time(handFirst ? hand : tape, steps), second = Time(handFirst ? tape : hand, steps);
            handTimes[r] = handFirst ? first : second;
            tapeTimes[r] = handFirst ? second : first;
            ratios[r] = tapeTimes[r] / handTimes[r];
        }
        return new Result(network, batch, Quantile(handTimes, 0.5), Quantile(tapeTimes, 0.5),
            Quantile(ratios, 0.5), Quantile(ratios, 0.25), Quantile(ratios, 0.75), rounds);
    }

    private static double Time(Action step, int steps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) step();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / steps;
    }

    /// <summary>The <paramref name="q"/>-quantile by linear interpolation between order statistics (sorts a copy).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("Quantile: no values.", nameof(values));
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
