using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Autograd.Benchmarks.Paired;
using Autograd.Kernels;

namespace Autograd.Benchmarks.Linalg;

/// <summary>
/// <c>--peak</c>: what one core can do, and how close our GEMM and OpenBLAS's sgemm get to it on the networks' products.
/// The peak is a loop of independent fused multiply-adds on registers (no memory traffic), so it is the ceiling every
/// GEMM-bound system on this CPU shares; the products are timed in alternating rounds (which goes first alternates)
/// in thread CPU time, so a neighbour's load that deschedules this thread is not counted.
/// </summary>
public static class PeakRunner
{
    private const int Rounds = 15;
    private static readonly TimeSpan Half = TimeSpan.FromMilliseconds(60);

    /// <summary>Prints the FMA peak (float32, 512- and 256-bit vectors) and the product table.</summary>
    public static int Run()
    {
        Parallelism.MaxThreads = 1;
        double peak512 = Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? FmaPeak512() : double.NaN;
        double peak256 = Vector256.IsHardwareAccelerated ? FmaPeak256() : double.NaN;
        double peak = double.IsNaN(peak512) ? peak256 : Math.Max(peak512, peak256);
        Console.WriteLine(Invariant($"FMA peak, one thread, float32: 512-bit {peak512:F1} GFLOP/s, 256-bit {peak256:F1} GFLOP/s (independent accumulators, thread CPU time); our GEMM's kernels: {Gemm.Isa}"));
        bool blas = OpenBlas.IsAvailable;
        if (blas)
        {
            OpenBlas.SetThreads(1);
            Console.WriteLine($"OpenBLAS from {OpenBlas.LoadedFrom}: {OpenBlas.Description}");
        }
        else Console.WriteLine("OpenBLAS not installed (Debian: libopenblas0): only our GEMM is timed.");
        Console.WriteLine("| product | ours, µs | GFLOP/s | % of peak | OpenBLAS, µs | GFLOP/s | % of peak | OpenBLAS time / ours (median of rounds) |");
        Console.WriteLine("|-|-:|-:|-:|-:|-:|-:|-:|");
        foreach (var shape in Shapes())
        {
            var (ours, theirs, ratio) = Measure(shape, blas);
            double flops = shape.Flops;
            Console.WriteLine(Invariant(
                $"| {shape} | {ours * 1e6:F1} | {flops / ours / 1e9:F1} | {100 * flops / ours / 1e9 / peak:F0} % | ") +
                (blas ? Invariant($"{theirs * 1e6:F1} | {flops / theirs / 1e9:F1} | {100 * flops / theirs / 1e9 / peak:F0} % | {ratio:F3} |") : "– | – | – | – |"));
        }
        Parallelism.MaxThreads = Environment.ProcessorCount;
        return 0;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // deep's two large layers and mlp2's first at the batch sizes of the peers' table, plus a square product.
    private static IEnumerable<GemmCase> Shapes()
    {
        foreach (int batch in new[] { 64, 1000 })
            foreach (var (inF, outF) in new[] { (784, 500), (500, 200), (784, 196) })
                foreach (var product in Enum.GetValues<GemmProduct>())
                    yield return new GemmCase(product, batch, inF, outF);
        yield return new GemmCase(GemmProduct.InputGrad, 1024, 1024, 1024);
    }

    private static (double Ours, double Theirs, double Ratio) Measure(GemmCase shape, bool blas)
    {
        var rng = new Rng(3);
        var a = new float[shape.ALength]; var b = new float[shape.BLength]; var c = new float[shape.CLength];
        rng.FillUniform<float>(a, -1, 1); rng.FillUniform<float>(b, -1, 1);
        Action ours = () => Gemm.Multiply<float>(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, a, b, c, accumulate: false);
        Action theirs = () => OpenBlas.Multiply(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, a, b, c);
        int calls = Math.Max(1, (int)(2e7 / (shape.Flops / 2)));
        for (int w = 0; w < 3; w++) { Time(ours, calls); if (blas) Time(theirs, calls); }
        var oursTimes = new double[Rounds]; var theirTimes = new double[Rounds]; var ratios = new double[Rounds];
        for (int r = 0; r < Rounds; r++)
        {
            if (!blas) { oursTimes[r] = Time(ours, calls); continue; }
            if (r % 2 == 0) { oursTimes[r] = Time(ours, calls); theirTimes[r] = Time(theirs, calls); }
            else { theirTimes[r] = Time(theirs, calls); oursTimes[r] = Time(ours, calls); }
            ratios[r] = theirTimes[r] / oursTimes[r];
        }
        return (Median(oursTimes), blas ? Median(theirTimes) : double.NaN, blas ? Median(ratios) : double.NaN);
    }

    // Seconds of thread CPU time per call, over at least Half of it.
    private static double Time(Action call, int calls)
    {
        double start = ThreadCpuTime.Seconds(), end;
        long done = 0;
        do
        {
            for (int i = 0; i < calls; i++) call();
            done += calls;
            end = ThreadCpuTime.Seconds();
        } while (end - start < Half.TotalSeconds);
        return (end - start) / done;
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    // 12 independent chains: more than the FMA latency times the issue rate of any x86 core, so the loop is throughput-bound.
    // Chains512 and Chains256 are the same loop at two widths: Vector512 and Vector256 share no public interface
    // (ISimdVector is internal), and a loop through Vector<T> would measure only one width.
    private static double FmaPeak512() => Best(() => Chains512(1 << 24), 12.0 * (1 << 24) * 2 * Vector512<float>.Count);

    private static double FmaPeak256() => Best(() => Chains256(1 << 24), 12.0 * (1 << 24) * 2 * Vector256<float>.Count);

    // The best of 5 runs in GFLOP/s: a descheduled or throttled run can only be slower.
    private static double Best(Func<float> run, double flops)
    {
        double best = 0, sink = 0;
        for (int r = 0; r < 5; r++)
        {
            double start = ThreadCpuTime.Seconds();
            sink += run();
            best = Math.Max(best, flops / (ThreadCpuTime.Seconds() - start) / 1e9);
        }
        return sink == 12345.678 ? 0 : best;   // the sum keeps the loops alive; it never equals this
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains512(int iterations)
    {
        var m = Vector512.Create(0.999999f); var d = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512<float>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, d); c1 = Vector512.FusedMultiplyAdd(c1, m, d);
            c2 = Vector512.FusedMultiplyAdd(c2, m, d); c3 = Vector512.FusedMultiplyAdd(c3, m, d);
            c4 = Vector512.FusedMultiplyAdd(c4, m, d); c5 = Vector512.FusedMultiplyAdd(c5, m, d);
            c6 = Vector512.FusedMultiplyAdd(c6, m, d); c7 = Vector512.FusedMultiplyAdd(c7, m, d);
            c8 = Vector512.FusedMultiplyAdd(c8, m, d); c9 = Vector512.FusedMultiplyAdd(c9, m, d);
            c10 = Vector512.FusedMultiplyAdd(c10, m, d); c11 = Vector512.FusedMultiplyAdd(c11, m, d);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains256(int iterations)
    {
        var m = Vector256.Create(0.999999f); var d = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256<float>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, d); c1 = Vector256.FusedMultiplyAdd(c1, m, d);
            c2 = Vector256.FusedMultiplyAdd(c2, m, d); c3 = Vector256.FusedMultiplyAdd(c3, m, d);
            c4 = Vector256.FusedMultiplyAdd(c4, m, d); c5 = Vector256.FusedMultiplyAdd(c5, m, d);
            c6 = Vector256.FusedMultiplyAdd(c6, m, d); c7 = Vector256.FusedMultiplyAdd(c7, m, d);
            c8 = Vector256.FusedMultiplyAdd(c8, m, d); c9 = Vector256.FusedMultiplyAdd(c9, m, d);
            c10 = Vector256.FusedMultiplyAdd(c10, m, d); c11 = Vector256.FusedMultiplyAdd(c11, m, d);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
