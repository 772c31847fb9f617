using System.Diagnostics;
using System.Globalization;
using Autograd.Benchmarks.Linalg;
using Autograd.Benchmarks.Networks;
using Autograd.Kernels;

namespace Autograd.Benchmarks.Paired;

/// <summary>
/// <c>--threads</c>: how much a second thread speeds up the tape's training step (forward, backward, SGD) and the
/// networks' GEMMs, measured as a paired design in one process: rounds at one thread and at
/// <see cref="Parallelism.MaxThreads"/> = 2 alternate (which goes first alternates too), and the reported speed-up is
/// the median of the per-round ratios, so load from neighbours that lasts longer than a round cancels. Each round also
/// records the process's CPU time, so the table shows what the second thread costs in cycles (spinning included).
/// </summary>
public static class ThreadScalingRunner
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HalfRound = TimeSpan.FromMilliseconds(20);
    private const int Threads = 2;

    /// <summary>One case: median µs per call at one and two threads, the per-round speed-up's median and quartiles,
    /// and the process CPU time per call at two threads relative to one.</summary>
    public sealed record Result(string Name, double OneMicros, double TwoMicros, double Speedup, double SpeedupQ1, double SpeedupQ3,
        double CpuRatio, double CallerCpuRatio);

    /// <summary>Runs the training-step cases and the GEMM shapes whose names contain one of <paramref name="filters"/>
    /// (all when empty; "step" or "gemm" picks a group); prints a table.</summary>
    public static int Run(IReadOnlyList<string> filters, int rounds = PairedStepRunner.DefaultRounds)
    {
        Console.WriteLine($"| case | 1 thread, µs | {Threads} threads, µs | speed-up (median of rounds) | q1–q3 | CPU time {Threads} / 1 | calling thread's CPU time {Threads} / 1 |");
        Console.WriteLine("|-|-:|-:|-:|-:|-:|-:|");
        foreach (var (name, call) in Cases())
        {
            if (filters.Count > 0 && !filters.Any(f => name.Contains(f, StringComparison.Ordinal))) continue;
            var r = Measure(name, call, rounds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.OneMicros:F1} | {r.TwoMicros:F1} | {r.Speedup:F3} | {r.SpeedupQ1:F3}–{r.SpeedupQ3:F3} | {r.CpuRatio:F2} | {r.CallerCpuRatio:F2} |"));
        }
        Parallelism.MaxThreads = Environment.ProcessorCount;
        return 0;
    }

    private static IEnumerable<(string Name, Action Call)> Cases()
    {
        foreach (var (network, batch) in new[] { ("deep", 1000), ("mlp2", 64), ("deep", 64), ("mlp2", 1000), ("mlp1", 64) })
        {
            var spec = NetworkSpec.ByName(network);
            var tape = new TapeMlp<float>(spec, spec.InitialParameters<float>(seed: 1));
            var (x, labels) = spec.SyntheticBatch<float>(batch, seed: 2);
            var data = new TapeBatch<float>(spec, x, labels);
            yield return ($"step {network}/{batch}", () => tape.Step(data, 1e-4f));
        }
        // Every layer of mlp2 and deep, at both batch sizes: the products a step is made of, down to the ones too small to split.
        var layers = NetworkSpec.Mlp2.Sizes.Zip(NetworkSpec.Mlp2.Sizes.Skip(1))
            .Concat(NetworkSpec.Deep.Sizes.Zip(NetworkSpec.Deep.Sizes.Skip(1))).Distinct();
        var shapes = from batch in new[] { 64, 1000 } from layer in layers from product in Enum.GetValues<GemmProduct>()
                     select new GemmCase(product, batch, layer.First, layer.Second);
        foreach (var shape in shapes)
        {
            var rng = new Random(3);
            var a = Enumerable.Range(0, shape.ALength).Select(_ => rng.NextSingle() - 0.5f).ToArray();
            var b = Enumerable.Range(0, shape.BLength).Select(_ => rng.NextSingle() - 0.5f).ToArray();
            var c = new float[shape.CLength];
            yield return ($"gemm {shape}", () => Gemm.Multiply<float>(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, a, b, c, false));
        }
    }

    private static Result Measure(string name, Action call, int rounds)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Warmup)
        {
            Parallelism.MaxThreads = 1; call();
            Parallelism.MaxThreads = Threads; call();
        }
        Parallelism.MaxThreads = 1;
        clock.Restart();
        int calls = 0;
        while (clock.Elapsed < HalfRound) { call(); calls++; }
        calls = Math.Max(1, calls);

        var one = new double[rounds]; var two = new double[rounds]; var speedups = new double[rounds];
        double oneCpu = 0, twoCpu = 0, oneCaller = 0, twoCaller = 0;
        for (int r = 0; r < rounds; r++)
        {
            bool oneFirst = r % 2 == 0;
            var (firstWall, firstCpu, firstCaller) = Time(call, calls, oneFirst ? 1 : Threads);
            var (secondWall, secondCpu, secondCaller) = Time(call, calls, oneFirst ? Threads : 1);
            one[r] = oneFirst ? firstWall : secondWall;
            two[r] = oneFirst ? secondWall : firstWall;
            oneCpu += oneFirst ? firstCpu : secondCpu;
            twoCpu += oneFirst ? secondCpu : firstCpu;
            oneCaller += oneFirst ? firstCaller : secondCaller;
            twoCaller += oneFirst ? secondCaller : firstCaller;
            speedups[r] = one[r] / two[r];
        }
        return new Result(name, PairedStepRunner.Quantile(one, 0.5), PairedStepRunner.Quantile(two, 0.5),
            PairedStepRunner.Quantile(speedups, 0.5), PairedStepRunner.Quantile(speedups, 0.25), PairedStepRunner.Quantile(speedups, 0.75),
            twoCpu / oneCpu, twoCaller / oneCaller);
    }

    // Wall-clock µs per call, and the process's and the calling thread's CPU time over the whole batch of calls. The
    // calling thread's share is what a quiet second core cannot take off it: serial passes, its own half, and spinning.
    private static (double Micros, double CpuSeconds, double CallerCpuSeconds) Time(Action call, int calls, int threads)
    {
        Parallelism.MaxThreads = threads;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        double callerBefore = ThreadCpuTime.Seconds();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
        double caller = ThreadCpuTime.Seconds() - callerBefore;
        process.Refresh();
        return (micros, (process.TotalProcessorTime - cpuBefore).TotalSeconds, caller);
    }
}
