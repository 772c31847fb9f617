namespace Autograd.Nn;

/// <summary>
/// Cross-entropy of logits [N, C] (log-softmax and negative log-likelihood fused in the core op), with optional
/// label smoothing ε: the target becomes (1−ε)·onehot + ε/C. A target tensor is taken as class probabilities.
/// </summary>
public sealed class CrossEntropyLoss<T>(double labelSmoothing = 0, Reduction reduction = Reduction.Mean) : Loss<T>(reduction)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The label smoothing ε in [0, 1].</summary>
    public double LabelSmoothing { get; } = labelSmoothing is >= 0 and <= 1 ? labelSmoothing
        : throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropyLoss: labelSmoothing must be in [0, 1], got {labelSmoothing}.");

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, int[] labels) => output.CrossEntropyLoss(labels, Reduction, LabelSmoothing);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, Tensor<T> target)
    {
        CheckSameShape(output, target);
        return Reduce(LossFunctions.SoftCrossEntropy(output, target, LabelSmoothing));
    }
}

/// <summary>Negative log-likelihood of log-probabilities [N, C] (e.g. from <see cref="LogSoftmax{T}"/>).</summary>
public sealed class NllLoss<T>(Reduction reduction = Reduction.Mean) : Loss<T>(reduction) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, int[] labels) => output.NllLoss(labels, Reduction);

    /// <summary>−Σ target·logProbs per row: a one-hot target gives the same value as the labels.</summary>
    public override Tensor<T> Forward(Tensor<T> output, Tensor<T> target)
    {
        CheckSameShape(output, target);
        if (output.Rank != 2) throw new ArgumentException($"NllLoss: a target tensor needs log-probabilities [N, C], got {output.Shape}.");
        return Reduce((target * output).Sum(1).Neg());
    }
}

/// <summary>Mean squared error; labels become one-hot rows (or 0/1 values for a single output).</summary>
public sealed class MseLoss<T>(Reduction reduction = Reduction.Mean) : Loss<T>(reduction) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, int[] labels) => output.MseLoss(TargetFromLabels(output, labels), Reduction);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, Tensor<T> target)
    {
        CheckSameShape(output, target);
        return output.MseLoss(target, Reduction);
    }
}

/// <summary>Binary cross-entropy of probabilities in (0, 1) (e.g. after <see cref="Sigmoid{T}"/>).</summary>
public sealed class BceLoss<T>(Reduction reduction = Reduction.Mean) : Loss<T>(reduction) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, int[] labels) => output.BceLoss(TargetFromLabels(output, labels), Reduction);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, Tensor<T> target)
    {
        CheckSameShape(output, target);
        return output.BceLoss(target, Reduction);
    }
}

/// <summary>Binary cross-entropy of logits (sigmoid fused in, numerically stable).</summary>
public sealed class BceWithLogitsLoss<T>(Reduction reduction = Reduction.Mean) : Loss<T>(reduction) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, int[] labels) => output.BceWithLogitsLoss(TargetFromLabels(output, labels), Reduction);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> output, Tensor<T> target)
    {
        CheckSameShape(output, target);
        return output.BceWithLogitsLoss(target, Reduction);
    }
}

/// <summary>Loss functions not provided by the core ops, written as forward compositions of them.</summary>
internal static class LossFunctions
{
    /// <summary>
    /// Per-row cross-entropy −Σ_c q_c·log softmax(logits)_c against class probabilities <paramref name="target"/> [N, C],
    /// with the target smoothed to (1−ε)·q + ε/C; returns [N].
    /// </summary>
    public static Tensor<T> SoftCrossEntropy<T>(Tensor<T> logits, Tensor<T> target, double labelSmoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits); ArgumentNullException.ThrowIfNull(target);
        if (logits.Rank != 2 || target.Shape != logits.Shape)
            throw new ArgumentException($"SoftCrossEntropy: logits must be [N, C] and the target the same shape; got {logits.Shape} and {target.Shape}.");
        if (labelSmoothing != 0)
        {
            double c = logits.Shape[1];
            target = target.Mul(T.CreateChecked(1 - labelSmoothing)).Add(T.CreateChecked(labelSmoothing / c));
        }
        return (target * logits.LogSoftmax(1)).Sum(1).Neg();
    }
}
