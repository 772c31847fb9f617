using Autograd.Benchmarks.Networks;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// The set-up both network suites share: every network × batch size, the same network built by hand and on the tape
/// from the same initial parameters, and one synthetic batch whose aligned copy both read. GEMM runs on one thread:
/// the ratios are about bookkeeping, and on a shared 2-core machine a second thread mostly measures the neighbours' load.
/// </summary>
public abstract class TwinNetworkBenchmark
{
    [Params("mlp1", "mlp2", "deep", "l2sigmoid")]
    public string Network { get; set; } = "mlp1";

    [Params(1, 64, 1000)]
    public int Batch { get; set; } = 1;

    protected HandDerivedMlp<float> Hand { get; private set; } = null!;
    protected TapeMlp<float> Tape { get; private set; } = null!;
    protected TapeBatch<float> Data { get; private set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        var spec = NetworkSpec.ByName(Network);
        var parameters = spec.InitialParameters<float>(seed: 1);
        Hand = new HandDerivedMlp<float>(spec, parameters);
        Tape = new TapeMlp<float>(spec, parameters);
        var (x, labels) = spec.SyntheticBatch<float>(Batch, seed: 2);
        Data = new TapeBatch<float>(spec, x, labels);
        SetupSuite();
    }

    /// <summary>A suite's own set-up, after the shared one (BenchmarkDotNet allows one [GlobalSetup] per class).</summary>
    protected virtual void SetupSuite() { }
}
