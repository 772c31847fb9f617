using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>The loss of one batch from the model's output (the recipe's own loss, e.g. a lab's exact formula).</summary>
internal delegate Tensor<float> LossFunction(Tensor<float> output, Batch<float> batch);

/// <summary>Which optimizer a recipe trains with.</summary>
internal enum OptimizerKind { Sgd, Adam }

/// <summary>
/// Everything that defines a training run: data preparation, network, loss, optimizer and schedule.
/// Labs reproduce a notebook exactly; models are our recommended setups. Command-line options override the numbers.
/// </summary>
internal sealed record Recipe
{
    public required string Name { get; init; }
    public required string Description { get; init; }

    /// <summary>Pixels as raw 0..255 (lab L1) or scaled to [0, 1].</summary>
    public PixelScale Scale { get; init; } = PixelScale.UnitInterval;
    /// <summary>Per-feature standardization fitted on the training set (lab L2).</summary>
    public bool Standardize { get; init; }
    /// <summary>Hold out this fraction of the training set for validation (lab L3); null = no validation set.</summary>
    public double? ValidationFraction { get; init; }
    public ulong ValidationSeed { get; init; } = 42;

    /// <summary>Builds the network for (inputs, classes) from the run's seeded generator.</summary>
    public required Func<int, int, Rng, Module<float>> Model { get; init; }
    public required LossFunction Loss { get; init; }

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double Momentum { get; init; }
    public double WeightDecay { get; init; }
    public required double LearningRate { get; init; }
    /// <summary>Mini-batch size; 0 = full batch (the whole training set every step).</summary>
    public required int BatchSize { get; init; }
    public required int Epochs { get; init; }
    /// <summary>Cosine-anneal the learning rate to 0 over the run.</summary>
    public bool CosineSchedule { get; init; }
    public ulong Seed { get; init; } = 1;

    /// <summary>Optional term added to the training objective (e.g. lab L2's explicit L2 penalty on the weights).</summary>
    public Func<Module<float>, Tensor<float>>? Regularize { get; init; }

    /// <summary>
    /// Optional custom training step for networks whose objective is not "loss of Forward" (e.g. two heads with a
    /// summed loss): returns the output used for accuracy and the objective to minimize. Evaluation still uses
    /// Forward and <see cref="Loss"/>.
    /// </summary>
    public Func<Module<float>, Batch<float>, (Tensor<float> Output, Tensor<float> Objective)>? Objective { get; init; }

    /// <summary>Column of the README table: what the notebook printed.</summary>
    public string? NotebookResult { get; init; }

    public Optimizer<float> CreateOptimizer(Module<float> model, double learningRate) => Optimizer switch
    {
        OptimizerKind.Adam => new Adam<float>(model.Parameters(), learningRate, weightDecay: WeightDecay),
        _ => new Sgd<float>(model.Parameters(), learningRate, momentum: Momentum, weightDecay: WeightDecay),
    };
}
