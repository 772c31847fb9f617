using Autograd.Benchmarks.Linalg;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// float32 GEMM on the networks' shapes: our kernel against OpenBLAS's cblas_sgemm (single-threaded) when the library
/// is installed. The GFLOP/s column divides 2·m·n·k by the mean time; Ratio is OpenBLAS's time over ours.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = GemmCase.NetworkShapes().First();

    public static IEnumerable<GemmCase> Cases() => GemmCase.NetworkShapes();

    private float[] _a = [], _b = [], _c = [];
    private static int _described;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        // Pinned (on the pinned object heap) so that OpenBLAS gets stable pointers and both see the same memory layout.
        _a = GC.AllocateArray<float>(Case.ALength, pinned: true);
        _b = GC.AllocateArray<float>(Case.BLength, pinned: true);
        _c = GC.AllocateArray<float>(Case.CLength, pinned: true);
        rng.FillUniform<float>(_a, -1, 1);
        rng.FillUniform<float>(_b, -1, 1);
        // Both single-threaded: a per-core comparison, undisturbed by the load of a shared 2-core machine.
        Parallelism.MaxThreads = 1;
        if (OpenBlas.IsAvailable)
        {
            if (Interlocked.Exchange(ref _described, 1) == 0)
                Console.WriteLine($"// OpenBLAS from {OpenBlas.LoadedFrom}: {OpenBlas.Description}");
            OpenBlas.SetThreads(1);
            CheckOpenBlasAgrees();
        }
    }

    // A wrong transpose or leading dimension would make the comparison meaningless: check one product first.
    private void CheckOpenBlasAgrees()
    {
        var ours = new float[_c.Length];
        Kernels.Gemm.Multiply<float>(Case.TransA, Case.TransB, Case.M, Case.N, Case.K, _a, _b, ours, accumulate: false);
        OpenBlas.Multiply(Case.TransA, Case.TransB, Case.M, Case.N, Case.K, _a, _b, _c);
        for (int i = 0; i < ours.Length; i++)
            if (!(MathF.Abs(ours[i] - _c[i]) <= 1e-4f * MathF.Sqrt(Case.K) * MathF.Max(1, MathF.Abs(ours[i]))))
                throw new InvalidOperationException($"GemmBenchmarks {Case}: OpenBLAS and Autograd differ at {i}: {_c[i]} vs {ours[i]}.");
    }

    [Benchmark(Baseline = true)]
    public void AutogradGemm() =>
        Kernels.Gemm.Multiply<float>(Case.TransA, Case.TransB, Case.M, Case.N, Case.K, _a, _b, _c, accumulate: false);

    [Benchmark]
    public void OpenBlasSgemm() => OpenBlas.Multiply(Case.TransA, Case.TransB, Case.M, Case.N, Case.K, _a, _b, _c);
}

/// <summary>Adds the GFLOP/s column and leaves the OpenBLAS benchmarks out (with a message) when the library is absent.</summary>
public sealed class GemmConfig : ManualConfig
{
    private static int _reported;

    public GemmConfig()
    {
        AddColumn(new GflopsColumn());
        AddFilter(new SimpleFilter(KeepCase));
    }

    private static bool KeepCase(BenchmarkCase benchmark)
    {
        if (OpenBlas.IsAvailable || benchmark.Descriptor.WorkloadMethod.Name != nameof(GemmBenchmarks.OpenBlasSgemm)) return true;
        if (Interlocked.Exchange(ref _reported, 1) == 0)
            Console.WriteLine("GemmBenchmarks: libopenblas.so.0 is not installed; skipping the OpenBLAS comparison (apt-get install libopenblas0 to run it).");
        return false;
    }
}
