namespace Autograd.Nn;

/// <summary>
/// Changes an optimizer's learning rate once per epoch from a closed form of the epoch number. Like PyTorch, the
/// base rate is the optimizer's rate when the scheduler is created, and <see cref="Step"/> is called after each epoch.
/// </summary>
public abstract class LrScheduler
{
    /// <summary>The optimizer whose learning rate is set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Number of <see cref="Step"/> calls so far (PyTorch's last_epoch).</summary>
    public int Epoch { get; private set; }

    /// <summary>Binds to <paramref name="optimizer"/> and sets its rate for epoch 0.</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>Advances one epoch and sets the optimizer's learning rate for it.</summary>
    public void Step()
    {
        Epoch++;
        Optimizer.LearningRate = LearningRateAt(Epoch);
    }

    /// <summary>The learning rate for <paramref name="epoch"/> (0 = before the first <see cref="Step"/>).</summary>
    public abstract double LearningRateAt(int epoch);
}

/// <summary>Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs: lr = base·γ^⌊epoch/stepSize⌋.</summary>
public sealed class StepLr : LrScheduler
{
    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <summary>Creates the schedule.</summary>
    public StepLr(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), $"StepLr: stepSize must be positive, got {stepSize}.");
        if (!(gamma >= 0) || double.IsInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), $"StepLr: gamma must be finite and ≥ 0, got {gamma}.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>
/// Cosine annealing from the base rate to <see cref="EtaMin"/> over <see cref="TMax"/> epochs (PyTorch's closed form):
/// lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/Tmax))/2.
/// </summary>
public sealed class CosineAnnealingLr : LrScheduler
{
    /// <summary>Epochs of the half cosine period.</summary>
    public int TMax { get; }

    /// <summary>The rate reached at epoch <see cref="TMax"/>.</summary>
    public double EtaMin { get; }

    /// <summary>Creates the schedule.</summary>
    public CosineAnnealingLr(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), $"CosineAnnealingLr: tMax must be positive, got {tMax}.");
        if (!(etaMin >= 0) || double.IsInfinity(etaMin)) throw new ArgumentOutOfRangeException(nameof(etaMin), $"CosineAnnealingLr: etaMin must be finite and ≥ 0, got {etaMin}.");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch) =>
        EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
