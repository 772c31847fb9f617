using Autograd.Kernels;

namespace Autograd;

/// <summary>
/// The ops. Each file holds one op family: forward, backward (right beside it) and shape checks.
/// Everything is an extension method on <see cref="Tensor{T}"/>.
/// </summary>
public static partial class Ops
{
    // ---- Add / Sub / Mul / Div with NumPy broadcasting. Gradients are summed back to each input's shape by Broadcast.SumInto.

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor<T> Add<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Binary<T, AddOperator<T>>("Add", a, b, AddBackward);

    private static void AddBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var ga, out bool fresh)) Broadcast.SumInto(gy, e.Output.Shape, ga, e.A!.Shape, accumulate: !fresh);
        if (Tape<T>.TryGrad(e.B, out var gb, out fresh)) Broadcast.SumInto(gy, e.Output.Shape, gb, e.B!.Shape, accumulate: !fresh);
    }

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor<T> Sub<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Binary<T, SubtractOperator<T>>("Sub", a, b, SubBackward);

    private static void SubBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var ga, out bool fresh)) Broadcast.SumInto(gy, e.Output.Shape, ga, e.A!.Shape, accumulate: !fresh);
        if (Tape<T>.TryGrad(e.B, out var gb))
        {
            using var neg = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Negate(gy, neg.Span);
            Broadcast.SumInto(neg.Span, e.Output.Shape, gb, e.B!.Shape);
        }
    }

    /// <summary>a ⊙ b (elementwise) with broadcasting.</summary>
    public static Tensor<T> Mul<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Binary<T, MultiplyOperator<T>>("Mul", a, b, MulBackward);

    private static void MulBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // d(a·b)/da = b, d(a·b)/db = a
        if (Tape<T>.TryGrad(e.A, out var ga, out bool fresh)) ProductGrad(gy, e.Output.Shape, e.B!, ga, e.A!.Shape, !fresh);
        if (Tape<T>.TryGrad(e.B, out var gb, out fresh)) ProductGrad(gy, e.Output.Shape, e.A!, gb, e.B!.Shape, !fresh);
    }

    /// <summary>a ⊘ b (elementwise) with broadcasting.</summary>
    public static Tensor<T> Div<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Binary<T, DivideOperator<T>>("Div", a, b, DivBackward);

    private static void DivBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −y/b
        var outShape = e.Output.Shape;
        using var t = Scratch<T>.Rent(gy.Length);
        if (Tape<T>.TryGrad(e.A, out var ga))
        {
            Broadcast.Apply<T, DivideOperator<T>>(gy, outShape, e.B!.AsReadOnlySpan(), e.B.Shape, t.Span, outShape);
            Broadcast.SumInto(t.Span, outShape, ga, e.A!.Shape);
        }
        if (Tape<T>.TryGrad(e.B, out var gb))
        {
            Broadcast.Apply<T, DivideOperator<T>>(e.Output.AsReadOnlySpan(), outShape, e.B!.AsReadOnlySpan(), e.B.Shape, t.Span, outShape);
            TensorPrimitives.Multiply(t.Span, gy, t.Span);
            TensorPrimitives.Negate(t.Span, t.Span);
            Broadcast.SumInto(t.Span, outShape, gb, e.B.Shape);
        }
    }

    /// <summary>−x.</summary>
    public static Tensor<T> Neg<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Neg", x, TensorPrimitives.Negate, NegBackward);

    private static void NegBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var ga, out bool fresh)) return;
        if (fresh) TensorPrimitives.Negate(gy, ga);
        else InPlace.Subtract(ga, gy);
    }

    // ---- shared machinery

    /// <summary>An elementwise kernel from input to output span (a TensorPrimitives method group).</summary>
    private delegate void UnaryKernel<T>(ReadOnlySpan<T> x, Span<T> y);

    // The forward of every plain elementwise op: a kernel into a new tensor, then record (saving y if backward needs it).
    private static Tensor<T> Unary<T>(string op, Tensor<T> x, UnaryKernel<T> kernel, BackwardFn<T> backward, bool saveOutput = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        if (y.Length != 0) kernel(x.AsReadOnlySpan(), y.AsSpan());   // some kernels (TensorPrimitives.Sigmoid) reject empty spans
        if (Tape<T>.ShouldRecord(x))
        {
            ref var e = ref Tape<T>.Record(op, y, backward, x);
            if (saveOutput) e.Saved = y;
        }
        else Tape<T>.CheckForward(op, y);
        return y;
    }

    private static Tensor<T> Binary<T, TOp>(string op, Tensor<T> a, Tensor<T> b, BackwardFn<T> backward)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOperator<T>
    {
        ArgumentNullException.ThrowIfNull(a); ArgumentNullException.ThrowIfNull(b);
        var shape = a.Shape == b.Shape ? a.Shape : Broadcast.Shapes(op, a.Shape, b.Shape);
        var y = Tensor<T>.Uninitialized(shape);
        Broadcast.Apply<T, TOp>(a.AsReadOnlySpan(), a.Shape, b.AsReadOnlySpan(), b.Shape, y.AsSpan(), shape);
        if (Tape<T>.ShouldRecord(a, b)) Tape<T>.Record(op, y, backward, a, b);
        else Tape<T>.CheckForward(op, y);
        return y;
    }

    // grad (+)= sumToShape(gy ⊙ other): fused when no broadcasting is involved.
    private static void ProductGrad<T>(ReadOnlySpan<T> gy, Shape outShape, Tensor<T> other, Span<T> grad, Shape gradShape, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (other.Shape == outShape && gradShape == outShape)
        {
            if (accumulate) InPlace.AddProduct(grad, gy, other.AsReadOnlySpan());
            else TensorPrimitives.Multiply(gy, other.AsReadOnlySpan(), grad);
            return;
        }
        using var t = Scratch<T>.Rent(gy.Length);
        Broadcast.Apply<T, MultiplyOperator<T>>(gy, outShape, other.AsReadOnlySpan(), other.Shape, t.Span, outShape);
        Broadcast.SumInto(t.Span, outShape, grad, gradShape, accumulate);
    }
}
