using Autograd.Benchmarks.Networks;
using Autograd.Examples.Pinn;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One training step of the pinn example, float64, one thread, 64 collocation points: <see cref="PinnProblem.Step"/> itself
/// (u, u′ and u″ on the tape, the loss's backward through both recorded derivatives, Adam). GFLOP/s counts the
/// multiply-adds of its matrix products (<see cref="StepCase.PinnMultiplyAdds"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(StepConfig))]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 15)]
public class PinnStepBenchmarks
{
    // Small, so that the steps a run makes keep the weights near their initial values.
    private const double LearningRate = 1e-6;

    [ParamsSource(nameof(Cases))]
    public StepCase Case { get; set; } = null!;

    public static IEnumerable<StepCase> Cases()
    {
        const int points = 64;
        yield return new StepCase("pinn", points, StepCase.PinnMultiplyAdds(points));
    }

    private PinnProblem _problem = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _problem = new PinnProblem(Case.Batch, LearningRate, seed: 1);
    }

    [Benchmark]
    public double Step() => _problem.Step();
}
