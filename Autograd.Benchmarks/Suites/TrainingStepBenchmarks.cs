using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One float32 training step (forward, backward, SGD) per network and batch size, through the tape and by hand.
/// The hand-derived step is the baseline, so the Ratio column is the tape's overhead.
/// </summary>
/// <remarks>
/// Three processes per case: on a shared VM one process can land its buffers or its JIT-compiled code badly and stay
/// 5–20 % slower than the next for its whole life (seen: mlp1 at batch 64, 18.1 µs in one process, 15.9 µs over three).
/// A single launch then reports that process, not the code; BenchmarkDotNet pools the iterations of all three.
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
