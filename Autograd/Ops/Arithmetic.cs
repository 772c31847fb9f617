using Autograd.Kernels;

namespace Autograd;

/// <summary>
/// The ops. Each file holds one op family: forward, the node that records it with its derivative rule (written with
/// ops, so it can be differentiated again) and, for hot ops, a fused span kernel of the same derivative.
/// Everything is an extension method on <see cref="Tensor{T}"/>.
/// </summary>
public static partial class Ops
{
    // ---- Add / Sub / Mul / Div with NumPy broadcasting. Rules return gradients of the broadcast shape; the backward
    // pass sums them back to each input's shape (once, for every op).

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor<T> Add<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Binary<T, AddOperator<T>>("Add", a, b);
        if (Autodiff<T>.ShouldRecord(a, b)) Autodiff<T>.Record<AddNode<T>>("Add", y, a, b);
        else Autodiff<T>.CheckForward("Add", y);
        return y;
    }

    // add: grad, grad
    private sealed class AddNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) { pass.Add(Input(0), g); pass.Add(Input(1), g); }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var outShape = Output.Shape;
            if (pass.TryGrad(Input(0), out var ga, out bool fresh)) Broadcast.SumInto(gy, outShape, ga, Input(0).Shape, accumulate: !fresh);
            if (pass.TryGrad(Input(1), out var gb, out fresh)) Broadcast.SumInto(gy, outShape, gb, Input(1).Shape, accumulate: !fresh);
        }
    }

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor<T> Sub<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Binary<T, SubtractOperator<T>>("Sub", a, b);
        if (Autodiff<T>.ShouldRecord(a, b)) Autodiff<T>.Record<SubNode<T>>("Sub", y, a, b);
        else Autodiff<T>.CheckForward("Sub", y);
        return y;
    }

    // sub: grad, −grad
    private sealed class SubNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            pass.Add(Input(0), g);
            if (pass.Wants(Input(1))) pass.Add(Input(1), g.Neg());
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var outShape = Output.Shape;
            if (pass.TryGrad(Input(0), out var ga, out bool fresh)) Broadcast.SumInto(gy, outShape, ga, Input(0).Shape, accumulate: !fresh);
            if (pass.TryGrad(Input(1), out var gb))
            {
                using var neg = Scratch<T>.Rent(gy.Length);
                TensorPrimitives.Negate(gy, neg.Span);
                Broadcast.SumInto(neg.Span, outShape, gb, Input(1).Shape);
            }
        }
    }

    /// <summary>a ⊙ b (elementwise) with broadcasting.</summary>
    public static Tensor<T> Mul<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Binary<T, MultiplyOperator<T>>("Mul", a, b);
        if (Autodiff<T>.ShouldRecord(a, b)) Autodiff<T>.Record<MulNode<T>>("Mul", y, a, b);
        else Autodiff<T>.CheckForward("Mul", y);
        return y;
    }

    // mul: grad·b, grad·a
    private sealed class MulNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> a = Input(0), b = Input(1);
            if (pass.Wants(a)) pass.Add(a, g.Mul(b));
            if (pass.Wants(b)) pass.Add(b, g.Mul(a));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            Tensor<T> a = Input(0), b = Input(1);
            if (pass.TryGrad(a, out var ga, out bool fresh)) ProductGrad(gy, Output.Shape, b, ga, a.Shape, !fresh);
            if (pass.TryGrad(b, out var gb, out fresh)) ProductGrad(gy, Output.Shape, a, gb, b.Shape, !fresh);
        }
    }

    /// <summary>a ⊘ b (elementwise) with broadcasting.</summary>
    public static Tensor<T> Div<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Binary<T, DivideOperator<T>>("Div", a, b);
        if (Autodiff<T>.ShouldRecord(a, b)) Autodiff<T>.Record<DivNode<T>>("Div", y, a, b);
        else Autodiff<T>.CheckForward("Div", y);
        return y;
    }

    // div: grad / b, −grad·a / b²
    private sealed class DivNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> a = Input(0), b = Input(1);
            if (pass.Wants(a)) pass.Add(a, g.Div(b));
            if (pass.Wants(b)) pass.Add(b, g.Mul(a).Div(b.Square()).Neg());
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −y/b
            Tensor<T> a = Input(0), b = Input(1);
            var outShape = Output.Shape;
            using var t = Scratch<T>.Rent(gy.Length);
            if (pass.TryGrad(a, out var ga))
            {
                Broadcast.Apply<T, DivideOperator<T>>(gy, outShape, b.AsReadOnlySpan(), b.Shape, t.Span, outShape);
                Broadcast.SumInto(t.Span, outShape, ga, a.Shape);
            }
            if (pass.TryGrad(b, out var gb))
            {
                Broadcast.Apply<T, DivideOperator<T>>(Output.AsReadOnlySpan(), outShape, b.AsReadOnlySpan(), b.Shape, t.Span, outShape);
                TensorPrimitives.Multiply(t.Span, gy, t.Span);
                TensorPrimitives.Negate(t.Span, t.Span);
                Broadcast.SumInto(t.Span, outShape, gb, b.Shape);
            }
        }
    }

    /// <summary>−x.</summary>
    public static Tensor<T> Neg<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Negate);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<NegNode<T>>("Neg", y, x);
        else Autodiff<T>.CheckForward("Neg", y);
        return y;
    }

    // neg: −grad (also s − x)
    private sealed class NegNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Neg());

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx, out bool fresh)) return;
            if (fresh) TensorPrimitives.Negate(gy, gx);
            else InPlace.Subtract(gx, gy);
        }
    }

    // ---- shared machinery

    /// <summary>An elementwise kernel from input to output span (a TensorPrimitives method group).</summary>
    private delegate void UnaryKernel<T>(ReadOnlySpan<T> x, Span<T> y);

    // The forward of every plain elementwise op: a kernel into a new tensor (the caller records).
    private static Tensor<T> Unary<T>(Tensor<T> x, UnaryKernel<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        if (y.Length != 0) kernel(x.AsReadOnlySpan(), y.AsSpan());   // some kernels (TensorPrimitives.Sigmoid) reject empty spans
        return y;
    }

    private static Tensor<T> Binary<T, TOp>(string op, Tensor<T> a, Tensor<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOperator<T>
    {
        ArgumentNullException.ThrowIfNull(a); ArgumentNullException.ThrowIfNull(b);
        var shape = a.Shape == b.Shape ? a.Shape : Broadcast.Shapes(op, a.Shape, b.Shape);
        var y = Tensor<T>.Uninitialized(shape);
        Broadcast.Apply<T, TOp>(a.AsReadOnlySpan(), a.Shape, b.AsReadOnlySpan(), b.Shape, y.AsSpan(), shape);
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

    // A constant (no gradient) tensor of the given shape whose elements are f(x) for x in source: masks and
    // derivative factors that rules multiply with (e.g. ReLU's x > 0).
    private static Tensor<T> Constant<T>(Tensor<T> source, Func<T, T> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Tensor<T>.Uninitialized(source.Shape);
        var src = source.AsReadOnlySpan(); var dst = c.AsSpan();
        for (int i = 0; i < dst.Length; i++) dst[i] = f(src[i]);
        return c;
    }
}
