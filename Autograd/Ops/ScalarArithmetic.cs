namespace Autograd;

public static partial class Ops
{
    // ---- Tensor ∘ scalar. The scalar is a constant (no gradient flows to it); it is kept in the tape entry's X0.
    // Division by a zero scalar follows IEEE 754 (±Inf/NaN), like the tensor Div; anomaly mode reports it.

    /// <summary>x + s (elementwise).</summary>
    public static Tensor<T> Add<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Add(x.AsReadOnlySpan(), s, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("AddScalar", y, PassThroughBackward, x);
        else Tape<T>.CheckForward("AddScalar", y);
        return y;
    }

    /// <summary>x − s (elementwise).</summary>
    public static Tensor<T> Sub<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Subtract(x.AsReadOnlySpan(), s, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("SubScalar", y, PassThroughBackward, x);
        else Tape<T>.CheckForward("SubScalar", y);
        return y;
    }

    // d(x ± s)/dx = 1
    private static void PassThroughBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx)) TensorPrimitives.Add(gx, gy, gx);
    }

    /// <summary>s − x (elementwise).</summary>
    public static Tensor<T> RSub<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Subtract(s, x.AsReadOnlySpan(), y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("RSubScalar", y, RSubBackward, x);
        else Tape<T>.CheckForward("RSubScalar", y);
        return y;
    }

    private static void RSubBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx)) TensorPrimitives.Subtract(gx, gy, gx);
    }

    /// <summary>x · s (elementwise).</summary>
    public static Tensor<T> Mul<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x.AsReadOnlySpan(), s, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("MulScalar", y, ScaleBackward, x).X0 = s;
        else Tape<T>.CheckForward("MulScalar", y);
        return y;
    }

    /// <summary>x / s (elementwise).</summary>
    public static Tensor<T> Div<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Divide(x.AsReadOnlySpan(), s, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("DivScalar", y, ScaleBackward, x).X0 = T.One / s;
        else Tape<T>.CheckForward("DivScalar", y);
        return y;
    }

    // d(x·c)/dx = c (Div records c = 1/s)
    private static void ScaleBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx)) TensorPrimitives.FusedMultiplyAdd(gy, e.X0, gx, gx);
    }

    /// <summary>s / x (elementwise).</summary>
    public static Tensor<T> RDiv<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Divide(s, x.AsReadOnlySpan(), y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("RDivScalar", y, RDivBackward, x).Saved = y;
        else Tape<T>.CheckForward("RDivScalar", y);
        return y;
    }

    private static void RDivBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        // d(s/x)/dx = −s/x² = −y/x
        using var t = Scratch<T>.Rent(gy.Length);
        TensorPrimitives.Divide(e.Saved!.AsReadOnlySpan(), e.A!.AsReadOnlySpan(), t.Span);
        TensorPrimitives.Multiply(t.Span, gy, t.Span);
        TensorPrimitives.Subtract(gx, t.Span, gx);
    }
}
