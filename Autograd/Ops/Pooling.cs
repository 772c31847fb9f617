using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Pooling over the last two axes of x [N, C, H, W] (every plane alone), PyTorch's semantics: no dilation, no
    // ceil mode, padding at most half the kernel; average pooling counts the padding (count_include_pad = true).

    /// <summary>
    /// Max pooling with a square <paramref name="kernelSize"/>, a stride (default: the kernel size, as PyTorch) and
    /// padding (−∞ outside the input). The gradient of each window goes to one element: its first maximum in row-major
    /// order (PyTorch's rule for ties).
    /// </summary>
    public static Tensor<T> MaxPool2d<T>(this Tensor<T> x, int kernelSize, int? stride = null, int padding = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = stride ?? kernelSize;
        return x.MaxPool2d((kernelSize, kernelSize), (s, s), (padding, padding));
    }

    /// <summary>Max pooling with a (height, width) kernel, stride and padding each; see the other overload.</summary>
    public static Tensor<T> MaxPool2d<T>(this Tensor<T> x, (int Height, int Width) kernelSize, (int Height, int Width) stride,
        (int Height, int Width) padding) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometryOf("MaxPool2d", x, kernelSize, stride, padding);
        var y = Tensor<T>.Uninitialized(PooledShape(x.Shape, g));
        var indices = SavedIndices.Rent(g.OutputLength);
        Pooling.MaxForward(g, x.AsReadOnlySpan(), y.AsSpan(), indices.Writable);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<MaxPoolNode<T>>("MaxPool2d", y, x);
            node.Geometry = g;
            node.Indices = indices;
        }
        else
        {
            indices.Return();
            Autodiff<T>.CheckForward("MaxPool2d", y);
        }
        return y;
    }

    // max_pool2d: grad added at each window's recorded maximum (a scatter-add over the planes)
    private sealed class MaxPoolNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public PoolGeometry Geometry;
        public SavedIndices Indices;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            var planes = g.Reshape(Geometry.Planes, Geometry.OutPlane);
            pass.Add(x, planes.ScatterAdd(1, Indices.Span, Geometry.InPlane).Reshape(x.Shape.Dimensions));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            // Pooling over a ReLU that nothing else reads (conv → ReLU → pool): both backwards in one pass over the
            // activation, straight into the ReLU's input gradient; the recorded maximum is positive exactly where the
            // pooled output is, so the ReLU's gate needs only y (its rule: grad · (relu output > 0)).
            if (pass.TryBypass<ReluNode<T>>(Input(0), out var relu))
            {
                if (pass.TryGrad(relu.Input(0), out var gz, out bool zFresh))
                    Pooling.MaxBackward(Geometry, gy, Indices.Span, gz, accumulate: !zFresh, pooled: Output.AsReadOnlySpan());
                return;
            }
            if (pass.TryGrad(Input(0), out var gx, out bool fresh)) Pooling.MaxBackward(Geometry, gy, Indices.Span, gx, accumulate: !fresh);
        }

        internal override void ReleaseSaved() => Indices.Return();
    }

    /// <summary>
    /// Average pooling with a square <paramref name="kernelSize"/>, a stride (default: the kernel size) and zero
    /// padding; every window is divided by kernelSize² whatever the padding (PyTorch's count_include_pad = true).
    /// </summary>
    public static Tensor<T> AvgPool2d<T>(this Tensor<T> x, int kernelSize, int? stride = null, int padding = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = stride ?? kernelSize;
        return x.AvgPool2d((kernelSize, kernelSize), (s, s), (padding, padding));
    }

    /// <summary>Average pooling with a (height, width) kernel, stride and padding each; see the other overload.</summary>
    public static Tensor<T> AvgPool2d<T>(this Tensor<T> x, (int Height, int Width) kernelSize, (int Height, int Width) stride,
        (int Height, int Width) padding) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometryOf("AvgPool2d", x, kernelSize, stride, padding);
        return AveragePool(x, g, PooledShape(x.Shape, g));
    }

    private static Tensor<T> AveragePool<T>(Tensor<T> x, in PoolGeometry g, Shape outputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(outputShape);
        Pooling.AverageForward(g, x.AsReadOnlySpan(), y.AsSpan());
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<AvgPoolNode<T>>("AvgPool2d", y, x);
            node.Geometry = g;
        }
        else Autodiff<T>.CheckForward("AvgPool2d", y);
        return y;
    }

    // avg_pool2d: grad / (kH·kW) spread over each window (AvgPoolBackward)
    private sealed class AvgPoolNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public PoolGeometry Geometry;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), AvgPoolBackward(g, Geometry, Input(0).Shape));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGrad(Input(0), out var gx, out bool fresh)) Pooling.AverageBackward(Geometry, gy, gx, accumulate: !fresh);
        }
    }

    // The adjoint of average pooling (its gradient): dy [N, C, OH, OW] spread back to [N, C, H, W].
    private static Tensor<T> AvgPoolBackward<T>(Tensor<T> gy, in PoolGeometry g, Shape inputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = Tensor<T>.Uninitialized(inputShape);
        Pooling.AverageBackward(g, gy.AsReadOnlySpan(), dx.AsSpan(), accumulate: false);
        if (Autodiff<T>.ShouldRecord(gy))
        {
            var node = Autodiff<T>.Record<AvgPoolBackwardNode<T>>("AvgPoolBackward", dx, gy);
            node.Geometry = g;
        }
        return dx;
    }

    // avg_pool2d_backward, a linear map whose adjoint is average pooling: the gradient pooled
    private sealed class AvgPoolBackwardNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public PoolGeometry Geometry;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), AveragePool(g, Geometry, Input(0).Shape));
    }

    /// <summary>
    /// Adaptive average pooling to 1×1 (global average pooling): [N, C, H, W] → [N, C, 1, 1], the mean of each plane.
    /// </summary>
    public static Tensor<T> AdaptiveAvgPool2d<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        if (s.Rank != 4 || s[2] == 0 || s[3] == 0)
            throw new ArgumentException($"AdaptiveAvgPool2d: the input must be 4-D [N, C, H, W] with H, W > 0, got {s}.");
        var y = Tensor<T>.Uninitialized(new Shape(s[0], s[1], 1, 1));
        Pooling.GlobalAverageForward(s[0] * s[1], s[2] * s[3], x.AsReadOnlySpan(), y.AsSpan());
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<GlobalAveragePoolNode<T>>("AdaptiveAvgPool2d", y, x);
        else Autodiff<T>.CheckForward("AdaptiveAvgPool2d", y);
        return y;
    }

    // adaptive_avg_pool2d (1×1): grad / (H·W) expanded over each plane
    private sealed class GlobalAveragePoolNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var s = Input(0).Shape;
            pass.Add(Input(0), g.Mul(T.One / T.CreateChecked(s[2] * s[3])).Expand(s.Dimensions));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var s = Input(0).Shape;
            if (pass.TryGrad(Input(0), out var gx, out bool fresh)) Pooling.GlobalAverageBackward(s[0] * s[1], s[2] * s[3], gy, gx, accumulate: !fresh);
        }
    }

    private static PoolGeometry PoolGeometryOf<T>(string op, Tensor<T> x, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        // Settings first: the geometry's output size divides by the stride.
        if (s.Rank != 4 || stride.Height <= 0 || stride.Width <= 0 || kernel.Height <= 0 || kernel.Width <= 0) ThrowPoolShapes(op, s, kernel, stride, padding);
        var g = new PoolGeometry(s[0] * s[1], s[2], s[3], kernel, stride, padding);
        if (!g.IsValid) ThrowPoolShapes(op, s, kernel, stride, padding);
        return g;
    }

    private static Shape PooledShape(Shape input, in PoolGeometry g) => new(input[0], input[1], g.OutHeight, g.OutWidth);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPoolShapes(string op, Shape x, (int Height, int Width) kernel, (int Height, int Width) stride, (int Height, int Width) padding)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: the input must be 4-D [N, C, H, W], got {x}.");
        string settings = $"kernel ({kernel.Height}, {kernel.Width}), stride ({stride.Height}, {stride.Width}), padding ({padding.Height}, {padding.Width})";
        if (kernel.Height <= 0 || kernel.Width <= 0 || stride.Height <= 0 || stride.Width <= 0 || padding.Height < 0 || padding.Width < 0)
            throw new ArgumentException($"{op}: kernel and stride must be positive and padding ≥ 0, got {settings}.");
        if (2 * padding.Height > kernel.Height || 2 * padding.Width > kernel.Width)
            throw new ArgumentException($"{op}: padding must be at most half the kernel, got {settings} (a window would hold padding only).");
        if (x[2] <= 0 || x[3] <= 0) throw new ArgumentException($"{op}: the input {x} has an empty plane.");
        throw new ArgumentException($"{op}: the kernel ({kernel.Height}, {kernel.Width}) is larger than the padded input " +
                                    $"({x[2] + 2 * padding.Height}, {x[3] + 2 * padding.Width}) of {x} ({settings}).");
    }
}
