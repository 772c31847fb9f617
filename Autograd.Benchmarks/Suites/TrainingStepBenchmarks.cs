using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One float32 training step (forward, backward, SGD) per network and batch size, through the tape and by hand.
/// The hand-derived step is the baseline, so the Ratio column is the tape's overhead.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks : TwinNetworkBenchmark
{
    // Small, so that the millions of steps a run makes on one synthetic batch keep the weights near their initial
    // values: a network driven to convergence would shrink gradients toward subnormal floats and change the timing.
    private const float LearningRate = 1e-4f;

    [Benchmark(Baseline = true)]
    public float HandDerivedStep() => Hand.Step(Data.X.AsReadOnlySpan(), Data.Labels, Batch, LearningRate);

    [Benchmark]
    public float TapeStep() => Tape.Step(Data, LearningRate);
}
