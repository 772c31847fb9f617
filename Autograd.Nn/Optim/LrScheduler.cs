namespace Autograd.Nn;

/// <summary>
/// Changes an optimizer's learning rates once per epoch from a closed form of the epoch number, PyTorch's way: each
/// parameter group keeps its initial rate (<see cref="OptimizerGroup.InitialLearningRate"/>, set by the first scheduler
/// from the group's rate at that moment) and the schedule scales it; <see cref="Step"/> is called after each epoch.
/// </summary>
public abstract class LrScheduler
{
    private readonly double[] _baseRates;

    /// <summary>The optimizer whose learning rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's rate at epoch 0 (PyTorch's base_lrs), in the order of <see cref="Optimizer.Groups"/>.</summary>
    public IReadOnlyList<double> BaseLearningRates => _baseRates;

    /// <summary>The rate at epoch 0 of the first group (of every group when there is one).</summary>
    public double BaseLearningRate => _baseRates[0];

    /// <summary>Number of <see cref="Step"/> calls so far (PyTorch's last_epoch).</summary>
    public int Epoch { get; private set; }

    /// <summary>Binds to <paramref name="optimizer"/>; each group's current rate becomes its initial rate unless a scheduler already set one.</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        _baseRates = new double[optimizer.Groups.Count];
        for (int g = 0; g < _baseRates.Length; g++)
        {
            var group = optimizer.Groups[g];
            group.InitialLearningRate ??= group.LearningRate;
            _baseRates[g] = group.InitialLearningRate.Value;
        }
    }

    /// <summary>Advances one epoch and sets every group's learning rate for it.</summary>
    public void Step()
    {
        Epoch++;
        for (int g = 0; g < _baseRates.Length; g++) Optimizer.Groups[g].LearningRate = LearningRateAt(Epoch, g);
    }

    /// <summary>The learning rate of group <paramref name="group"/> for <paramref name="epoch"/> (0 = before the first <see cref="Step"/>).</summary>
    public double LearningRateAt(int epoch, int group = 0) => Rate(_baseRates[group], epoch);

    /// <summary>The schedule: the rate at <paramref name="epoch"/> of a group whose rate at epoch 0 is <paramref name="baseRate"/>.</summary>
    protected abstract double Rate(double baseRate, int epoch);

    /// <summary>
    /// The schedule's settings under PyTorch's state_dict keys, as a checkpoint records them (resuming checks they are
    /// unchanged). A scheduler defined outside the library records none.
    /// </summary>
    internal virtual void AddSettings(IDictionary<string, string> settings) { }

    /// <summary>Puts the scheduler at <paramref name="epoch"/> with the given base rates (a checkpoint's); the optimizer's rates are restored separately.</summary>
    internal void Restore(int epoch, double[] baseRates)
    {
        Epoch = epoch;
        baseRates.CopyTo(_baseRates, 0);
    }
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
    protected override double Rate(double baseRate, int epoch) => baseRate * Math.Pow(Gamma, epoch / StepSize);

    internal override void AddSettings(IDictionary<string, string> settings)
    {
        settings["step_size"] = StepSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["gamma"] = OptimizerGroup.Format(Gamma);
    }
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
    protected override double Rate(double baseRate, int epoch) =>
        EtaMin + (baseRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;

    internal override void AddSettings(IDictionary<string, string> settings)
    {
        settings["T_max"] = TMax.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["eta_min"] = OptimizerGroup.Format(EtaMin);
    }
}
