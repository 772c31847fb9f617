using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    /// <summary>max(x, 0).</summary>
    public static Tensor<T> Relu<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Max(x.AsReadOnlySpan(), T.Zero, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Relu", y, ReluBackward, x).Saved = y;
        else Tape<T>.CheckForward("Relu", y);
        return y;
    }

    private static void ReluBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx, out bool fresh)) return;
        RowKernels.ReluBackward(e.Saved!.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
    }

    /// <summary>x where x &gt; 0, else 0.01·x.</summary>
    public static Tensor<T> LeakyRelu<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.LeakyRelu(T.CreateTruncating(0.01));

    /// <summary>x where x &gt; 0, else <paramref name="negativeSlope"/>·x. At 0 the gradient is the slope (like PyTorch).</summary>
    public static Tensor<T> LeakyRelu<T>(this Tensor<T> x, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!T.IsFinite(negativeSlope))
            throw new ArgumentException($"LeakyRelu: negative slope must be finite, got {negativeSlope} (input shape {x.Shape}).", nameof(negativeSlope));
        var y = Tensor<T>.Uninitialized(x.Shape);
        var xs = x.AsReadOnlySpan(); var ys = y.AsSpan();
        for (int i = 0; i < ys.Length; i++) ys[i] = xs[i] > T.Zero ? xs[i] : negativeSlope * xs[i];
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("LeakyRelu", y, LeakyReluBackward, x).X0 = negativeSlope;
        else Tape<T>.CheckForward("LeakyRelu", y);
        return y;
    }

    private static void LeakyReluBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        var x = e.A!.AsReadOnlySpan();
        T slope = e.X0;
        for (int i = 0; i < gx.Length; i++) gx[i] += x[i] > T.Zero ? gy[i] : slope * gy[i];
    }

    /// <summary>1 / (1 + e^−x); saturates to exactly 0 or 1 (never NaN) for large |x|.</summary>
    public static Tensor<T> Sigmoid<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        // 1/(1 + e^−x) is stable on both sides: e^−x overflows to +∞ for very negative x, and 1/∞ = 0.
        Unary("Sigmoid", x, TensorPrimitives.Sigmoid, SigmoidBackward, saveOutput: true);

    private static void SigmoidBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx, out bool fresh)) RowKernels.SigmoidBackward(e.Saved!.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
    }

    /// <summary>Hyperbolic tangent elementwise.</summary>
    public static Tensor<T> Tanh<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Tanh", x, TensorPrimitives.Tanh, TanhBackward, saveOutput: true);

    private static void TanhBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx, out bool fresh)) RowKernels.TanhBackward(e.Saved!.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
    }
}
