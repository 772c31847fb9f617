using System.Numerics.Tensors;

namespace Autograd.Nn;

/// <summary>Gradient clipping, applied between Backward and the optimizer's Step.</summary>
public static class GradClip
{
    /// <summary>
    /// Rescales the gradients so that their global L2 norm (over all tensors together) is at most
    /// <paramref name="maxNorm"/>: when the norm is above it, every gradient is multiplied by maxNorm/(norm + 1e-6),
    /// as in PyTorch's clip_grad_norm_. Parameters without a gradient are skipped. Returns the norm before clipping.
    /// A NaN or infinite norm throws when <paramref name="errorIfNonfinite"/>, else leaves NaN norms unclipped.
    /// </summary>
    public static double ClipGradNorm<T>(IEnumerable<Tensor<T>> parameters, double maxNorm, bool errorIfNonfinite = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters is IReadOnlyList<Tensor<T>> list
            ? ClipGradNorm(list, maxNorm, errorIfNonfinite)
            : ClipGradNorm(parameters.ToArray(), maxNorm, errorIfNonfinite);
    }

    /// <summary>As the IEnumerable overload, without allocating an enumerator (for training loops).</summary>
    public static double ClipGradNorm<T>(IReadOnlyList<Tensor<T>> parameters, double maxNorm, bool errorIfNonfinite = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGradNorm: maxNorm must be ≥ 0, got {maxNorm}.");
        double sumOfSquares = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Grad is not { } g) continue;
            // Per-tensor norms (TensorPrimitives.Norm guards against overflow better than a raw sum of squares).
            double n = double.CreateChecked(TensorPrimitives.Norm(g.AsReadOnlySpan()));
            sumOfSquares += n * n;
        }
        double total = Math.Sqrt(sumOfSquares);
        if (!double.IsFinite(total) && errorIfNonfinite)
            throw new ArithmeticException($"ClipGradNorm: the total gradient norm is {total}; the gradients hold NaN or infinity.");
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
        {
            var c = T.CreateChecked(coefficient);
            for (int i = 0; i < parameters.Count; i++)
                if (parameters[i].Grad is { } g) TensorPrimitives.Multiply(g.AsSpan(), c, g.AsSpan());
        }
        return total;
    }

    /// <summary>Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] in place.</summary>
    public static void ClipGradValue<T>(IEnumerable<Tensor<T>> parameters, double clipValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), $"ClipGradValue: clipValue must be ≥ 0, got {clipValue}.");
        var hi = T.CreateChecked(clipValue);
        foreach (var p in parameters)
        {
            if (p.Grad is not { } g) continue;
            var s = g.AsSpan();
            TensorPrimitives.Min(s, hi, s);
            TensorPrimitives.Max(s, -hi, s);
        }
    }
}
