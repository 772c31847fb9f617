using Autograd.Benchmarks.Networks;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One float32 training step (forward, backward, SGD) per network and batch size, through the tape and by hand.
/// The hand-derived step is the baseline, so the Ratio column is the tape's overhead. GEMM runs on one thread: the
/// ratio is about bookkeeping, and on a shared 2-core machine a second thread mostly measures the neighbours' load.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    // Small, so that the millions of steps a run makes on one synthetic batch keep the weights near their initial
    // values: a network driven to convergence would shrink gradients toward subnormal floats and change the timing.
    private const float LearningRate = 1e-4f;

    [Params("mlp1", "mlp2", "deep", "l2sigmoid")]
    public string Network { get; set; } = "mlp1";

    [Params(1, 64, 1000)]
    public int Batch { get; set; } = 1;

    private HandDerivedMlp<float> _hand = null!;
    private TapeMlp<float> _tape = null!;
    private int[] _labels = [];
    private TapeBatch<float> _tapeBatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        Kernels.Threading.MaxThreads = 1;   // see the class summary
        var spec = NetworkSpec.ByName(Network);
        var parameters = spec.InitialParameters<float>(seed: 1);
        _hand = new HandDerivedMlp<float>(spec, parameters);
        _tape = new TapeMlp<float>(spec, parameters);
        (var x, _labels) = spec.SyntheticBatch<float>(Batch, seed: 2);
        _tapeBatch = new TapeBatch<float>(spec, x, _labels);   // both steps read its aligned copy of x
    }

    [Benchmark(Baseline = true)]
    public float HandDerivedStep() => _hand.Step(_tapeBatch.X.AsReadOnlySpan(), _labels, Batch, LearningRate);

    [Benchmark]
    public float TapeStep() => _tape.Step(_tapeBatch, LearningRate);
}
