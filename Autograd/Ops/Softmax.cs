using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // Both ops subtract each slice's maximum before exponentiating, so no exp overflows (inputs of any magnitude),
    // and save their output: the backward passes are O(n) per slice and need nothing else.
    // The tensor is seen as [outer, n, inner] with n the softmax axis; inner == 1 (the last axis) runs per row
    // with vector kernels, inner > 1 runs the same vector kernels across the inner positions.

    /// <summary>exp(x − max) / Σ exp(x − max) along <paramref name="axis"/> (default: the last).</summary>
    public static Tensor<T> Softmax<T>(this Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T> =>
        SoftmaxFamily("Softmax", x, axis, log: false);

    /// <summary>x − max − log Σ exp(x − max) along <paramref name="axis"/> (default: the last): the log of <see cref="Softmax{T}"/>, computed stably.</summary>
    public static Tensor<T> LogSoftmax<T>(this Tensor<T> x, int axis = -1) where T : unmanaged, IFloatingPointIeee754<T> =>
        SoftmaxFamily("LogSoftmax", x, axis, log: true);

    private static Tensor<T> SoftmaxFamily<T>(string op, Tensor<T> x, int axis, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = x.Shape.NormalizeAxis(axis, op);
        int outer = x.Shape.Product(0, a), n = x.Shape.Dimensions[a], inner = x.Shape.Product(a + 1, x.Rank);
        var y = Tensor<T>.Uninitialized(x.Shape);
        if (x.Length > 0)
        {
            if (inner == 1 && log) Kernels.RowKernels.LogSoftmax(x.AsReadOnlySpan(), y.AsSpan(), outer, n);
            else if (inner == 1) Kernels.RowKernels.Softmax(x.AsReadOnlySpan(), y.AsSpan(), outer, n);
            else SoftmaxStrided(x.AsReadOnlySpan(), y.AsSpan(), outer, n, inner, log);
        }
        if (!Autodiff<T>.ShouldRecord(x)) Autodiff<T>.CheckForward(op, y);
        else if (log) Autodiff<T>.Record<LogSoftmaxNode<T>>(op, y, x).Axis = a;
        else Autodiff<T>.Record<SoftmaxNode<T>>(op, y, x).Axis = a;
        return y;
    }

    private static void SoftmaxStrided<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var scratch = Scratch<T>.Rent(3 * inner);
        var max = scratch.Span[..inner];
        var sum = scratch.Span.Slice(inner, inner);
        var exp = scratch.Span.Slice(2 * inner, inner);
        for (int o = 0; o < outer; o++)
        {
            var xb = x.Slice(o * n * inner, n * inner);
            var yb = y.Slice(o * n * inner, n * inner);
            xb[..inner].CopyTo(max);
            for (int j = 1; j < n; j++) TensorPrimitives.Max(max, xb.Slice(j * inner, inner), max);
            sum.Clear();
            for (int j = 0; j < n; j++)
            {
                var yj = yb.Slice(j * inner, inner);
                TensorPrimitives.Subtract(xb.Slice(j * inner, inner), max, yj);
                if (log)
                {
                    TensorPrimitives.Exp(yj, exp);
                    InPlace.Add(sum, exp);
                }
                else
                {
                    TensorPrimitives.Exp(yj, yj);
                    InPlace.Add(sum, yj);
                }
            }
            if (log) TensorPrimitives.Log(sum, sum);
            for (int j = 0; j < n; j++)
            {
                var yj = yb.Slice(j * inner, inner);
                if (log) InPlace.Subtract(yj, sum);
                else TensorPrimitives.Divide(yj, sum, yj);
            }
        }
    }

    // softmax: result ⊙ (grad − Σ_axis grad ⊙ result)
    private sealed class SoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), Output.Mul(g.Sub(g.Mul(Output).Sum(Axis, keepDim: true))));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var shape = Input(0).Shape;
            int a = Axis, outer = shape.Product(0, a), n = shape.Dimensions[a], inner = shape.Product(a + 1, shape.Rank);
            var y = Output.AsReadOnlySpan();
            if (inner == 1)
            {
                using var t = Scratch<T>.Rent(n);
                for (int r = 0; r < outer; r++)
                {
                    var yr = y.Slice(r * n, n); var gyr = gy.Slice(r * n, n); var gxr = gx.Slice(r * n, n);
                    TensorPrimitives.Subtract(gyr, TensorPrimitives.Dot(gyr, yr), t.Span);
                    InPlace.AddProduct(gxr, yr, t.Span);
                }
                return;
            }
            using var scratch = Scratch<T>.Rent(2 * inner);
            var dot = scratch.Span[..inner];
            var tmp = scratch.Span.Slice(inner, inner);
            for (int o = 0; o < outer; o++)
            {
                int b = o * n * inner;
                dot.Clear();
                for (int j = 0; j < n; j++)
                    InPlace.AddProduct(dot, gy.Slice(b + j * inner, inner), y.Slice(b + j * inner, inner));
                for (int j = 0; j < n; j++)
                {
                    var gxj = gx.Slice(b + j * inner, inner);
                    TensorPrimitives.Subtract(gy.Slice(b + j * inner, inner), dot, tmp);
                    InPlace.AddProduct(gxj, y.Slice(b + j * inner, inner), tmp);
                }
            }
        }
    }

    // log_softmax: grad − exp(result) ⊙ Σ_axis grad (the softmax recomputed from the saved log-softmax)
    private sealed class LogSoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.Sub(Output.Exp().Mul(g.Sum(Axis, keepDim: true))));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var shape = Input(0).Shape;
            int a = Axis, outer = shape.Product(0, a), n = shape.Dimensions[a], inner = shape.Product(a + 1, shape.Rank);
            var y = Output.AsReadOnlySpan();
            if (inner == 1)
            {
                using var t = Scratch<T>.Rent(n);
                for (int r = 0; r < outer; r++)
                {
                    var gyr = gy.Slice(r * n, n); var gxr = gx.Slice(r * n, n);
                    TensorPrimitives.Exp(y.Slice(r * n, n), t.Span);
                    TensorPrimitives.MultiplyAdd(t.Span, -TensorPrimitives.Sum(gyr), gyr, t.Span);
                    InPlace.Add(gxr, t.Span);
                }
                return;
            }
            using var scratch = Scratch<T>.Rent(2 * inner);
            var sum = scratch.Span[..inner];
            var tmp = scratch.Span.Slice(inner, inner);
            for (int o = 0; o < outer; o++)
            {
                int b = o * n * inner;
                sum.Clear();
                for (int j = 0; j < n; j++) InPlace.Add(sum, gy.Slice(b + j * inner, inner));
                for (int j = 0; j < n; j++)
                {
                    var gxj = gx.Slice(b + j * inner, inner);
                    TensorPrimitives.Exp(y.Slice(b + j * inner, inner), tmp);
                    TensorPrimitives.Multiply(tmp, sum, tmp);
                    TensorPrimitives.Subtract(gy.Slice(b + j * inner, inner), tmp, tmp);
                    InPlace.Add(gxj, tmp);
                }
            }
        }
    }
}
