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
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<ReluNode<T>>("Relu", y, x);
        else Autodiff<T>.CheckForward("Relu", y);
        return y;
    }

    // relu: grad · (result > 0)
    private sealed class ReluNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.Mul(Constant(Output, static y => y > T.Zero ? T.One : T.Zero)));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGradInPlace(Input(0), out var gx, out bool fresh)) RowKernels.ReluBackward(Output.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
        }
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
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<LeakyReluNode<T>>("LeakyRelu", y, x);
            node.NegativeSlope = negativeSlope;
        }
        else Autodiff<T>.CheckForward("LeakyRelu", y);
        return y;
    }

    // leaky_relu: grad · (x > 0 ? 1 : slope)
    private sealed class LeakyReluNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T NegativeSlope;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            T slope = NegativeSlope;
            pass.Add(Input(0), g.Mul(Constant(Input(0), x => x > T.Zero ? T.One : slope)));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var x = Input(0).AsReadOnlySpan();
            T slope = NegativeSlope;
            for (int i = 0; i < gx.Length; i++) gx[i] += x[i] > T.Zero ? gy[i] : slope * gy[i];
        }
    }

    /// <summary>1 / (1 + e^−x); saturates to exactly 0 or 1 (never NaN) for large |x|.</summary>
    public static Tensor<T> Sigmoid<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // 1/(1 + e^−x) is stable on both sides: e^−x overflows to +∞ for very negative x, and 1/∞ = 0.
        var y = Unary(x, TensorPrimitives.Sigmoid);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<SigmoidNode<T>>("Sigmoid", y, x);
        else Autodiff<T>.CheckForward("Sigmoid", y);
        return y;
    }

    // sigmoid: grad · result · (1 − result)
    private sealed class SigmoidNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.Mul(Output.Mul(Ops.RSub(T.One, Output))));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGradInPlace(Input(0), out var gx, out bool fresh)) RowKernels.SigmoidBackward(Output.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
        }
    }

    /// <summary>Hyperbolic tangent elementwise.</summary>
    public static Tensor<T> Tanh<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Tanh);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<TanhNode<T>>("Tanh", y, x);
        else Autodiff<T>.CheckForward("Tanh", y);
        return y;
    }

    // tanh: grad · (1 − result²)
    private sealed class TanhNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.Mul(Ops.RSub(T.One, Output.Square())));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGradInPlace(Input(0), out var gx, out bool fresh)) RowKernels.TanhBackward(Output.AsReadOnlySpan(), gy, gx, accumulate: !fresh);
        }
    }
}
