using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// Batch normalization over the channel axis 1 (what <see cref="BatchNorm1d{T}"/> and <see cref="BatchNorm2d{T}"/>
/// share, as torch.nn's _BatchNorm): in training mode each batch is normalized with its own mean and biased variance and
/// the running statistics move towards the batch's (momentum 0.1, unbiased variance); in evaluation mode the running
/// statistics are used. Parameters weight (γ, ones) and bias (β, zeros); buffers running_mean (zeros), running_var
/// (ones) and num_batches_tracked, under PyTorch's names.
/// </summary>
public abstract class BatchNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Channels C.</summary>
    public int NumFeatures { get; }
    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }
    /// <summary>Weight of the batch statistics in the running-average update.</summary>
    public double Momentum { get; }

    /// <summary>γ [C], registered as "weight"; null without affine parameters.</summary>
    public Tensor<T>? Weight { get; }
    /// <summary>β [C], registered as "bias"; null without affine parameters.</summary>
    public Tensor<T>? Bias { get; }
    /// <summary>The running mean [C] (buffer "running_mean").</summary>
    public Tensor<T> RunningMean { get; }
    /// <summary>The running unbiased variance [C] (buffer "running_var").</summary>
    public Tensor<T> RunningVar { get; }
    /// <summary>How many training batches updated the running statistics (int64 buffer "num_batches_tracked").</summary>
    public Int64Buffer NumBatchesTracked { get; }

    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    protected BatchNorm(int numFeatures, double eps, double momentum, bool affine)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{TypeName}: numFeatures must be positive, got {numFeatures}.");
        if (!(eps >= 0) || !double.IsFinite(eps)) throw new ArgumentOutOfRangeException(nameof(eps), $"{TypeName}: eps must be finite and ≥ 0, got {eps}.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"{TypeName}: momentum must be in [0, 1], got {momentum}.");
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Init.Ones(NewParameter(numFeatures)));
            Bias = RegisterParameter("bias", NewParameter(numFeatures));
        }
        RunningMean = RegisterBuffer("running_mean", NewParameter(numFeatures));
        RunningVar = RegisterBuffer("running_var", Init.Ones(NewParameter(numFeatures)));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", new Int64Buffer());
    }

    /// <summary>The input ranks the layer accepts, for its shape check.</summary>
    private protected abstract bool AcceptsRank(int rank);

    /// <summary>The layouts the layer accepts, for its message.</summary>
    private protected abstract string Layouts { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!AcceptsRank(x.Rank) || x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{TypeName}: expects {Layouts} with C = {NumFeatures}, got {x.Shape}.");
        var y = x.BatchNorm(RunningMean, RunningVar, Weight, Bias, IsTraining, Momentum, Eps);
        if (IsTraining) NumBatchesTracked.Value++;   // after the op: a batch it refused is not counted
        return y;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is not null ? "true" : "false")}");
}

/// <summary>Batch normalization of [N, C] or [N, C, L] (torch.nn.BatchNorm1d); see <see cref="BatchNorm{T}"/>.</summary>
public sealed class BatchNorm1d<T>(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true)
    : BatchNorm<T>(numFeatures, eps, momentum, affine) where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected override bool AcceptsRank(int rank) => rank is 2 or 3;
    private protected override string Layouts => "[N, C] or [N, C, L]";
}

/// <summary>Batch normalization of [N, C, H, W] (torch.nn.BatchNorm2d); see <see cref="BatchNorm{T}"/>.</summary>
public sealed class BatchNorm2d<T>(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true)
    : BatchNorm<T>(numFeatures, eps, momentum, affine) where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected override bool AcceptsRank(int rank) => rank == 4;
    private protected override string Layouts => "[N, C, H, W]";
}

/// <summary>
/// Layer normalization over the trailing axes <see cref="NormalizedShape"/> (torch.nn.LayerNorm): each slice is
/// normalized by its own mean and biased variance, then scaled by weight (ones) and shifted by bias (zeros), both of
/// the normalized shape.
/// </summary>
public sealed class LayerNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _normalizedShape;

    /// <summary>The trailing dimensions normalized over.</summary>
    public IReadOnlyList<int> NormalizedShape => _normalizedShape;
    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }
    /// <summary>γ, registered as "weight"; null without affine parameters.</summary>
    public Tensor<T>? Weight { get; }
    /// <summary>β, registered as "bias"; null without affine parameters.</summary>
    public Tensor<T>? Bias { get; }

    /// <summary>Normalizes over the last axis of size <paramref name="normalizedSize"/>.</summary>
    public LayerNorm(int normalizedSize, double eps = 1e-5, bool elementwiseAffine = true) : this([normalizedSize], eps, elementwiseAffine) { }

    /// <summary>Normalizes over the trailing axes <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: the normalized shape must be non-empty with positive sizes, got [{string.Join(", ", normalizedShape)}].");
        if (!(eps >= 0) || !double.IsFinite(eps)) throw new ArgumentOutOfRangeException(nameof(eps), $"LayerNorm: eps must be finite and ≥ 0, got {eps}.");
        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Init.Ones(NewParameter(normalizedShape)));
            Bias = RegisterParameter("bias", NewParameter(normalizedShape));
        }
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.LayerNorm(_normalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"[{string.Join(", ", _normalizedShape)}], eps={Eps}, elementwiseAffine={(Weight is not null ? "true" : "false")}");
}
