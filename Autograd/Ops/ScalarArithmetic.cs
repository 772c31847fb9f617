using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Tensor ∘ scalar. The scalar is a constant (no gradient flows to it).
    // Division by a zero scalar follows IEEE 754 (±Inf/NaN), like the tensor Div; anomaly mode reports it.

    /// <summary>x + s (elementwise).</summary>
    public static Tensor<T> Add<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, TensorPrimitives.Add);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<PassThroughNode<T>>("AddScalar", y, x);
        else Autodiff<T>.CheckForward("AddScalar", y);
        return y;
    }

    /// <summary>x − s (elementwise).</summary>
    public static Tensor<T> Sub<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, TensorPrimitives.Subtract);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<PassThroughNode<T>>("SubScalar", y, x);
        else Autodiff<T>.CheckForward("SubScalar", y);
        return y;
    }

    // x ± s, and views with the input's flat layout (reshape): grad, in the input's shape
    private sealed class PassThroughNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            pass.Add(x, g.Shape == x.Shape ? g : g.Reshape(x.Shape.Dimensions));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGradInPlace(Input(0), out var gx, out bool fresh)) return;
            if (!fresh) InPlace.Add(gx, gy);
            else if (!gx.Overlaps(gy)) gy.CopyTo(gx);   // else gx is gy's own buffer: nothing to copy
        }
    }

    /// <summary>s − x (elementwise).</summary>
    public static Tensor<T> RSub<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, static (x, s, y) => TensorPrimitives.Subtract(s, x, y));
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<NegNode<T>>("RSubScalar", y, x);
        else Autodiff<T>.CheckForward("RSubScalar", y);
        return y;
    }

    /// <summary>x · s (elementwise).</summary>
    public static Tensor<T> Mul<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, TensorPrimitives.Multiply);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ScaleNode<T>>("MulScalar", y, x);
            node.Factor = s;
        }
        else Autodiff<T>.CheckForward("MulScalar", y);
        return y;
    }

    /// <summary>x / s (elementwise).</summary>
    public static Tensor<T> Div<T>(this Tensor<T> x, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, TensorPrimitives.Divide);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ScaleNode<T>>("DivScalar", y, x);
            node.Factor = T.One / s;
        }
        else Autodiff<T>.CheckForward("DivScalar", y);
        return y;
    }

    // x · c (Div records c = 1/s): grad · c
    private sealed class ScaleNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Factor;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Factor));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGradInPlace(Input(0), out var gx, out bool fresh)) return;
            if (!fresh) InPlace.AddScaled(gx, gy, Factor);
            else if (gx.Overlaps(gy)) InPlace.Scale(gx, Factor);
            else TensorPrimitives.Multiply(gy, Factor, gx);
        }
    }

    /// <summary>s / x (elementwise).</summary>
    public static Tensor<T> RDiv<T>(T s, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = WithScalar(x, s, static (x, s, y) => TensorPrimitives.Divide(s, x, y));
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<RDivNode<T>>("RDivScalar", y, x);
        else Autodiff<T>.CheckForward("RDivScalar", y);
        return y;
    }

    // s / x: −grad · result / x
    private sealed class RDivNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Output).Div(Input(0)).Neg());

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            using var t = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Divide(Output.AsReadOnlySpan(), Input(0).AsReadOnlySpan(), t.Span);
            TensorPrimitives.Multiply(t.Span, gy, t.Span);
            InPlace.Subtract(gx, t.Span);
        }
    }

    /// <summary>An elementwise kernel of a tensor and a scalar constant.</summary>
    private delegate void ScalarKernel<T>(ReadOnlySpan<T> x, T s, Span<T> y);

    // The forward of every tensor ∘ scalar op: a kernel into a new tensor (the caller records).
    private static Tensor<T> WithScalar<T>(Tensor<T> x, T s, ScalarKernel<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        kernel(x.AsReadOnlySpan(), s, y.AsSpan());
        return y;
    }
}
