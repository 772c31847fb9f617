namespace Autograd.Examples.Training;

/// <summary>Command-line overrides of a recipe, and where to put the results.</summary>
internal sealed record TrainOptions
{
    /// <summary>The --lab or --model name; null for the default run.</summary>
    public string? Recipe { get; init; }
    public string? Data { get; init; }
    public int? Epochs { get; init; }
    public int? Batch { get; init; }
    public double? LearningRate { get; init; }
    public OptimizerKind? Optimizer { get; init; }
    public ulong? Seed { get; init; }
    public int? Threads { get; init; }
    public string? OutDirectory { get; init; }
    public string? OnnxPath { get; init; }
    /// <summary>A checkpoint of an earlier `train` run to continue.</summary>
    public string? Resume { get; init; }

    /// <summary>The recipe with every option that was given applied.</summary>
    public Recipe ApplyTo(Recipe r) => r with
    {
        Epochs = Epochs ?? r.Epochs,
        BatchSize = Batch ?? r.BatchSize,
        // Switching optimizer without --lr takes that optimizer's usual rate, not the other one's.
        LearningRate = LearningRate ?? (Optimizer is { } o && o != r.Optimizer ? Models.DefaultLearningRate(o) : r.LearningRate),
        Optimizer = Optimizer ?? r.Optimizer,
        Momentum = Optimizer is OptimizerKind.Sgd && r.Optimizer != OptimizerKind.Sgd ? 0.9 : r.Momentum,
        Seed = Seed ?? r.Seed,
    };
}
