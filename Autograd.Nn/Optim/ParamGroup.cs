using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// A set of parameters with its own hyperparameters, as in PyTorch's param_groups:
/// <c>new Sgd&lt;float&gt;([new ParamGroup&lt;float&gt;(encoder.Parameters(), lr: 0.01), new ParamGroup&lt;float&gt;(head.Parameters())], lr: 0.1, momentum: 0.9)</c>.
/// A value left null takes the optimizer's argument; giving one the optimizer does not use (betas to Sgd,
/// momentum to Adam) is an error.
/// </summary>
public sealed class ParamGroup<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the group; <paramref name="betas"/> are Adam's (β₁, β₂).</summary>
    public ParamGroup(IEnumerable<Tensor<T>> parameters, double? lr = null, double? weightDecay = null, double? momentum = null,
        (double Beta1, double Beta2)? betas = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        LearningRate = lr; WeightDecay = weightDecay; Momentum = momentum; Betas = betas;
    }

    /// <summary>The group's parameters, in the order given.</summary>
    public IReadOnlyList<Tensor<T>> Parameters { get; }

    /// <summary>The group's learning rate, or null for the optimizer's.</summary>
    public double? LearningRate { get; }

    /// <summary>The group's weight decay, or null for the optimizer's.</summary>
    public double? WeightDecay { get; }

    /// <summary>The group's SGD momentum, or null for the optimizer's.</summary>
    public double? Momentum { get; }

    /// <summary>The group's Adam betas, or null for the optimizer's.</summary>
    public (double Beta1, double Beta2)? Betas { get; }
}

/// <summary>
/// One parameter group as an optimizer runs it: where its parameters sit in the optimizer's parameter list and its
/// resolved hyperparameters. Only the learning rate changes during training (schedulers and warm-ups set it).
/// </summary>
public class OptimizerGroup
{
    private double _learningRate;
    private string _owner = nameof(OptimizerGroup);

    /// <summary>Creates a group's settings (an optimizer assigns its index and parameter range when it adopts it).</summary>
    public OptimizerGroup(double learningRate, double weightDecay)
    {
        LearningRate = learningRate;
        Optimizer.CheckNonNegative(weightDecay, "weightDecay", _owner);
        WeightDecay = weightDecay;
    }

    /// <summary>Position of the group in the optimizer's <see cref="Optimizer.Groups"/>.</summary>
    public int Index { get; private set; }

    /// <summary>Index of the group's first parameter in the optimizer's parameter list.</summary>
    public int FirstParameter { get; private set; }

    /// <summary>Number of parameters in the group (they follow <see cref="FirstParameter"/>).</summary>
    public int ParameterCount { get; private set; }

    /// <summary>The step size of the group's next update; finite and ≥ 0.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), $"{_owner}: group {Index}: the learning rate must be finite and ≥ 0, got {value}.");
            _learningRate = value;
        }
    }

    /// <summary>
    /// PyTorch's initial_lr: the rate learning-rate schedulers scale. Set to the current rate by the first scheduler
    /// bound to the optimizer (null until then), so a later scheduler scales the same base.
    /// </summary>
    public double? InitialLearningRate { get; internal set; }

    /// <summary>Weight decay λ of the group.</summary>
    public double WeightDecay { get; }

    internal void Adopt(string owner, int index, int firstParameter, int parameterCount)
    {
        _owner = owner;
        Index = index;
        FirstParameter = firstParameter;
        ParameterCount = parameterCount;
    }

    /// <summary>
    /// The hyperparameters that stay fixed during training, under PyTorch's param_groups keys, as a checkpoint records
    /// them (resuming checks they are unchanged).
    /// </summary>
    internal virtual void AddFixedSettings(IDictionary<string, string> settings) =>
        settings["weight_decay"] = Format(WeightDecay);

    /// <summary>A double in the shortest text that parses back to the same bits.</summary>
    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>An <see cref="Sgd{T}"/> group: learning rate, weight decay, momentum μ, dampening τ and Nesterov.</summary>
public sealed class SgdGroup : OptimizerGroup
{
    internal SgdGroup(double learningRate, double weightDecay, double momentum, double dampening, bool nesterov)
        : base(learningRate, weightDecay)
    {
        Momentum = momentum; Dampening = dampening; Nesterov = nesterov;
    }

    /// <summary>Momentum factor μ (0: no momentum buffer).</summary>
    public double Momentum { get; }

    /// <summary>Dampening τ of the gradient added to the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>Whether the update uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    internal override void AddFixedSettings(IDictionary<string, string> settings)
    {
        base.AddFixedSettings(settings);
        settings["momentum"] = Format(Momentum);
        settings["dampening"] = Format(Dampening);
        settings["nesterov"] = Nesterov ? "true" : "false";
    }
}

/// <summary>An <see cref="Adam{T}"/> or <see cref="AdamW{T}"/> group: learning rate, weight decay, β₁, β₂ and ε.</summary>
public sealed class AdamGroup : OptimizerGroup
{
    internal AdamGroup(double learningRate, double weightDecay, double beta1, double beta2, double epsilon)
        : base(learningRate, weightDecay)
    {
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon;
    }

    /// <summary>Decay rate of the first-moment average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay rate of the second-moment average.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability.</summary>
    public double Epsilon { get; }

    internal override void AddFixedSettings(IDictionary<string, string> settings)
    {
        base.AddFixedSettings(settings);
        settings["betas"] = $"[{Format(Beta1)}, {Format(Beta2)}]";
        settings["eps"] = Format(Epsilon);
    }
}
