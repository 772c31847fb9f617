using Autograd.Benchmarks.Linalg;
using Autograd.Benchmarks.Networks;
using Autograd.Examples.Training;
using Autograd.Nn;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// One training step of the Examples' `train --model cnn` (issue #13) at batch 64, one thread: the network of
/// <see cref="Models.Cnn"/>, softmax cross-entropy, SGD with momentum 0.9, the step of the Trainer (zero the gradients,
/// forward, loss, backward, update in one <see cref="TensorScope"/>). GFLOP/s counts the multiply-adds of the
/// convolutions and linear layers (<see cref="StepCase.TrainingMultiplyAdds"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(StepConfig))]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 15)]
public class CnnStepBenchmarks
{
    private const int Features = 784, Classes = 10;

    // Small, so that the steps a run makes on one synthetic batch keep the weights near their initial values.
    private const double LearningRate = 1e-4;

    [ParamsSource(nameof(Cases))]
    public StepCase Case { get; set; } = null!;

    public static IEnumerable<StepCase> Cases()
    {
        const int batch = 64;
        var (model, x, _) = Build(batch);
        yield return new StepCase("cnn", batch, StepCase.TrainingMultiplyAdds(model, x));
    }

    private Sequential<float> _model = null!;
    private Sgd<float> _optimizer = null!;
    private Tensor<float> _x = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        (_model, _x, _labels) = Build(Case.Batch);
        _optimizer = new Sgd<float>(_model.Parameters(), LearningRate, momentum: 0.9);
    }

    [Benchmark]
    public float Step()
    {
        using (TensorScope.Begin())
        {
            _optimizer.ZeroGrad();
            var loss = _model.Forward(_x).CrossEntropy(_labels);
            loss.Backward();
            _optimizer.Step();
            return loss.Item();
        }
    }

    // The Examples' network with its own seeded initialization, and a seeded synthetic batch in 64-byte-aligned storage
    // (as the DataLoader provides it): pixels in [0, 1), labels in [0, 10).
    private static (Sequential<float> Model, Tensor<float> X, int[] Labels) Build(int batch)
    {
        var model = Models.Cnn(Features, Classes, batchNorm: false, new Rng(1));
        var rng = new Rng(2);
        var x = Tensor.ZerosAligned<float>(batch, Features);
        rng.FillUniform<float>(x.AsSpan(), 0, 1);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(Classes);
        return (model, x, labels);
    }
}

/// <summary>Adds the GFLOP/s column to the training-step suites of the Examples' networks.</summary>
public sealed class StepConfig : ManualConfig
{
    public StepConfig() => AddColumn(new GflopsColumn());
}
