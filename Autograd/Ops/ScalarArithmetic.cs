using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Tensor ∘ scalar. The scalar is a constant (no gradient flows to it); it is kept in the tape entry's X0.
    // Division by a zero scalar follows IEEE 754 (±Inf/NaN), like the tensor Div; anomaly mode reports it.

    /// <summary>x + s (elementwise).</summary>
    public static Tensor<T> Add<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("AddScalar", x, s, TensorPrimitives.Add, PassThroughBackward);

    /// <summary>x − s (elementwise).</summary>
    public static Tensor<T> Sub<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("SubScalar", x, s, TensorPrimitives.Subtract, PassThroughBackward);

    // d(x ± s)/dx = 1
    private static void PassThroughBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx, out bool fresh)) return;
        if (fresh) gy.CopyTo(gx);
        else InPlace.Add(gx, gy);
    }

    /// <summary>s − x (elementwise).</summary>
    public static Tensor<T> RSub<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("RSubScalar", x, s, static (x, s, y) => TensorPrimitives.Subtract(s, x, y), NegBackward);  // d(s − x)/dx = −1


    /// <summary>x · s (elementwise).</summary>
    public static Tensor<T> Mul<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("MulScalar", x, s, TensorPrimitives.Multiply, ScaleBackward, x0: s);

    /// <summary>x / s (elementwise).</summary>
    public static Tensor<T> Div<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("DivScalar", x, s, TensorPrimitives.Divide, ScaleBackward, x0: T.One / s);

    // d(x·c)/dx = c (Div records c = 1/s)
    private static void ScaleBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx, out bool fresh)) return;
        if (fresh) TensorPrimitives.Multiply(gy, e.X0, gx);
        else InPlace.AddScaled(gx, gy, e.X0);
    }

    /// <summary>s / x (elementwise).</summary>
    public static Tensor<T> RDiv<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithScalar("RDivScalar", x, s, static (x, s, y) => TensorPrimitives.Divide(s, x, y), RDivBackward, saveOutput: true);

    private static void RDivBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        // d(s/x)/dx = −s/x² = −y/x
        using var t = Scratch<T>.Rent(gy.Length);
        TensorPrimitives.Divide(e.Saved!.AsReadOnlySpan(), e.A!.AsReadOnlySpan(), t.Span);
        TensorPrimitives.Multiply(t.Span, gy, t.Span);
        InPlace.Subtract(gx, t.Span);
    }

    /// <summary>An elementwise kernel of a tensor and a scalar constant.</summary>
    private delegate void ScalarKernel<T>(ReadOnlySpan<T> x, T s, Span<T> y);

    // The forward of every tensor ∘ scalar op: a kernel into a new tensor, then record (X0 carries what backward needs).
    private static Tensor<T> WithScalar<T>(string op, Tensor<T> x, T s, ScalarKernel<T> kernel, BackwardFn<T> backward,
        T x0 = default, bool saveOutput = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        kernel(x.AsReadOnlySpan(), s, y.AsSpan());
        if (Tape<T>.ShouldRecord(x))
        {
            ref var e = ref Tape<T>.Record(op, y, backward, x);
            e.X0 = x0;
            if (saveOutput) e.Saved = y;
        }
        else Tape<T>.CheckForward(op, y);
        return y;
    }
}
