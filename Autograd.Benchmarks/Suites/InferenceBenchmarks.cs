using Autograd.Benchmarks.Networks;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// Forward pass only, float32: the tape's modules under <see cref="Grad.NoGrad"/> against the hand-derived forward.
/// GEMM runs on one thread, as in <see cref="TrainingStepBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    [Params("mlp1", "mlp2", "deep", "l2sigmoid")]
    public string Network { get; set; } = "mlp1";

    [Params(1, 64, 1000)]
    public int Batch { get; set; } = 1;

    private HandDerivedMlp<float> _hand = null!;
    private TapeMlp<float> _tape = null!;
    private float[] _output = [];
    private TapeBatch<float> _tapeBatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        Kernels.Threading.MaxThreads = 1;   // see the class summary
        var spec = NetworkSpec.ByName(Network);
        var parameters = spec.InitialParameters<float>(seed: 1);
        _hand = new HandDerivedMlp<float>(spec, parameters);
        _tape = new TapeMlp<float>(spec, parameters);
        var (x, labels) = spec.SyntheticBatch<float>(Batch, seed: 2);
        _tapeBatch = new TapeBatch<float>(spec, x, labels);   // both passes read its aligned copy of x
        _output = new float[Batch * spec.Sizes[^1]];
    }

    [Benchmark(Baseline = true)]
    public float HandDerivedForward() => _hand.Forward(_tapeBatch.X.AsReadOnlySpan(), Batch)[0];

    [Benchmark]
    public float TapeForwardNoGrad()
    {
        _tape.Infer(_tapeBatch, _output);
        return _output[0];
    }
}
