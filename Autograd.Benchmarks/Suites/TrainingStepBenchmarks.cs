using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One float32 training step (forward, backward, SGD) per network and batch size, through the tape and by hand.
/// The hand-derived step is the baseline, so the Ratio column is the tape's overhead.
/// </summary>
/// <remarks>
/// Three processes per case: on this shared VM a process that runs during a busy spell of the host stays 15–50 % slower
/// for as long as the spell lasts (seen: mlp1 at batch 64, 18.1 µs in one launch, 15.9 µs over three). A single launch
/// then reports the neighbours; BenchmarkDotNet pools the iterations of all three. For the ratio itself see --paired.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 15)]
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
