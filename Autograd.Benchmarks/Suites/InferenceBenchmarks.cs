using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>Forward pass only, float32: the tape's modules under <see cref="Grad.NoGrad"/> against the hand-derived forward.</summary>
[MemoryDiagnoser]
public class InferenceBenchmarks : TwinNetworkBenchmark
{
    private float[] _output = [];

    protected override void SetupSuite()
    {
        _output = new float[Batch * Tape.Spec.Sizes[^1]];
    }

    [Benchmark(Baseline = true)]
    public float HandDerivedForward() => Hand.Forward(Data.X.AsReadOnlySpan(), Batch)[0];

    [Benchmark]
    public float TapeForwardNoGrad()
    {
        Tape.Infer(Data, _output);
        return _output[0];
    }
}
