using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Convolution (cross-correlation, PyTorch's semantics and weight layout) on the im2col + GEMM kernels.
    // The derivative of a convolution is two other linear maps of the same geometry: its adjoint in the input
    // (ConvBackwardData, a transposed convolution) and in the weight (ConvBackwardWeight). Both are recorded ops whose
    // own rules are convolutions again, so the gradient of a convolution can be differentiated to any order.

    /// <summary>
    /// 2-D convolution of x [N, C, H, W] with weight [O, C/groups, kH, kW] plus bias [O] (or none), as
    /// torch.nn.functional.conv2d: y [N, O, OH, OW] with OH = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1
    /// (OW likewise). The same stride, padding and dilation apply to both axes.
    /// </summary>
    public static Tensor<T> Conv2d<T>(this Tensor<T> x, Tensor<T> weight, Tensor<T>? bias = null, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.Conv2d(weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>2-D convolution with a (height, width) stride, padding and dilation each; see the other overload.</summary>
    public static Tensor<T> Conv2d<T>(this Tensor<T> x, Tensor<T> weight, Tensor<T>? bias, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, int groups = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(weight);
        var xs = x.Shape; var ws = weight.Shape;
        if (xs.Rank != 4 || ws.Rank != 4 || !PositiveSettings(stride, dilation, groups)) ThrowConvShapes("Conv2d", xs, ws, bias?.Shape, stride, padding, dilation, groups);
        var g = new ConvGeometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], stride, padding, dilation, groups);
        if (!IsValidConv(g, ws, bias)) ThrowConvShapes("Conv2d", xs, ws, bias?.Shape, stride, padding, dilation, groups);
        return ConvForward("Conv2d", x, weight, bias, g);
    }

    /// <summary>
    /// 1-D convolution of x [N, C, L] with weight [O, C/groups, k] plus bias [O] (or none), as
    /// torch.nn.functional.conv1d: y [N, O, OL] with OL = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
    /// </summary>
    public static Tensor<T> Conv1d<T>(this Tensor<T> x, Tensor<T> weight, Tensor<T>? bias = null, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(weight);
        var xs = x.Shape; var ws = weight.Shape;
        if (xs.Rank != 3 || ws.Rank != 3 || !PositiveSettings((1, stride), (1, dilation), groups))
            ThrowConvShapes("Conv1d", xs, ws, bias?.Shape, (1, stride), (0, padding), (1, dilation), groups);
        // A convolution over [N, C, 1, L] with a [O, C/groups, 1, k] kernel: the kernels' H = kH = 1 case.
        var g = new ConvGeometry(xs[0], xs[1], 1, xs[2], ws[0], 1, ws[2], (1, stride), (0, padding), (1, dilation), groups);
        if (!IsValidConv(g, ws, bias)) ThrowConvShapes("Conv1d", xs, ws, bias?.Shape, (1, stride), (0, padding), (1, dilation), groups);
        var y = ConvForward("Conv1d", x.Reshape(xs[0], xs[1], 1, xs[2]), weight.Reshape(ws[0], ws[1], 1, ws[2]), bias, g);
        return y.Reshape(g.Batch, g.OutChannels, g.OutWidth);
    }

    // Checked before the geometry is built: its output size divides by the stride.
    private static bool PositiveSettings((int Height, int Width) stride, (int Height, int Width) dilation, int groups) =>
        stride.Height > 0 && stride.Width > 0 && dilation.Height > 0 && dilation.Width > 0 && groups > 0;

    private static bool IsValidConv<T>(in ConvGeometry g, Shape weight, Tensor<T>? bias) where T : unmanaged, IFloatingPointIeee754<T> =>
        g.IsValid && weight[1] * g.Groups == g.InChannels && (bias is null || (bias.Rank == 1 && bias.Length == g.OutChannels));

    // Names the first thing wrong, in the terms of the op's own ranks (Conv1d shows its 1-D sizes).
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowConvShapes(string op, Shape x, Shape w, Shape? bias, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, int groups)
    {
        int rank = op == "Conv1d" ? 3 : 4;
        string layout = rank == 3 ? "[N, C, L]" : "[N, C, H, W]", weightLayout = rank == 3 ? "[O, C/groups, k]" : "[O, C/groups, kH, kW]";
        string Pair((int Height, int Width) v) => rank == 3 ? $"{v.Width}" : $"({v.Height}, {v.Width})";
        if (x.Rank != rank) throw new ArgumentException($"{op}: the input must be {rank}-D {layout}, got {x}.");
        if (w.Rank != rank) throw new ArgumentException($"{op}: the weight must be {rank}-D {weightLayout}, got {w}.");
        if (groups <= 0) throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        if (stride.Height <= 0 || stride.Width <= 0) throw new ArgumentException($"{op}: the stride must be positive, got {Pair(stride)}.");
        if (dilation.Height <= 0 || dilation.Width <= 0) throw new ArgumentException($"{op}: the dilation must be positive, got {Pair(dilation)}.");
        if (padding.Height < 0 || padding.Width < 0) throw new ArgumentException($"{op}: the padding must be ≥ 0, got {Pair(padding)}.");
        if (x[1] % groups != 0 || w[0] % groups != 0)
            throw new ArgumentException($"{op}: groups {groups} must divide both the input's channels {x[1]} (input {x}) and the weight's output channels {w[0]} (weight {w}).");
        if (w[1] * groups != x[1])
            throw new ArgumentException($"{op}: the input {x} has {x[1]} channels but the weight {w} expects {w[1]}·groups = {w[1] * groups} " +
                                        $"(weight axis 1 is the input channels per group, groups {groups}).");
        if (bias is { } b && (b.Rank != 1 || b[0] != w[0]))
            throw new ArgumentException($"{op}: the bias must be [{w[0]}] (one per output channel of the weight {w}), got {b}.");
        for (int i = 2; i < rank; i++)
        {
            bool width = i == rank - 1;
            int pad = width ? padding.Width : padding.Height, dil = width ? dilation.Width : dilation.Height;
            if (x[i] <= 0 || w[i] <= 0) throw new ArgumentException($"{op}: sizes must be positive, got input {x} and weight {w}.");
            long span = (long)dil * (w[i] - 1) + 1, padded = x[i] + 2L * pad;
            if (span > padded)
                throw new ArgumentException($"{op}: the kernel of the weight {w} (dilation {Pair(dilation)}) spans {span} positions along " +
                                            $"{(rank == 3 ? "the length" : width ? "the width" : "the height")}, more than the {padded} of the padded input " +
                                            $"(input {x}, padding {Pair(padding)}).");
        }
        throw new ArgumentException($"{op}: invalid convolution of input {x} with weight {w} (stride {Pair(stride)}, padding {Pair(padding)}, dilation {Pair(dilation)}, groups {groups}).");
    }

    // y = conv(x, weight) + bias on a checked geometry; records the node.
    private static Tensor<T> ConvForward<T>(string op, Tensor<T> x, Tensor<T> weight, Tensor<T>? bias, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(new Shape(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth));
        using (var scratch = RentScratch<T>(Convolution.ForwardScratchLength<T>(g)))
            Convolution.Forward(g, x.AsReadOnlySpan(), weight.AsReadOnlySpan(), bias is null ? default : bias.AsReadOnlySpan(), y.AsSpan(), scratch.Span);
        if (Autodiff<T>.ShouldRecord(x, weight, bias))
        {
            var node = Autodiff<T>.Record<ConvNode<T>>(op, y, x, weight, bias);
            node.Geometry = g;
        }
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // A pointwise convolution needs no scratch: no rent at all then.
    private static Scratch<T> RentScratch<T>(int length) where T : unmanaged, IFloatingPointIeee754<T> =>
        length == 0 ? default : Scratch<T>.Rent(length);

    // conv: ConvBackwardData(grad, W) to x, ConvBackwardWeight(x, grad) to W, Σ_{n,h,w} grad to b
    private sealed class ConvNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ConvGeometry Geometry;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), w = Input(1);
            var bias = InputCount > 2 ? Input(2) : null;
            if (pass.Wants(x)) pass.Add(x, ConvBackwardData(g, w, Geometry));
            if (pass.Wants(w)) pass.Add(w, ConvBackwardWeight(x, g, Geometry));
            if (pass.Wants(bias)) pass.Add(bias, g.Sum([0, 2, 3]));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), w = Input(1);
            var bias = InputCount > 2 ? Input(2) : null;
            if (pass.TryGrad(x, out var gx, out bool fresh))
            {
                using var scratch = RentScratch<T>(Convolution.BackwardDataScratchLength<T>(Geometry));
                Convolution.BackwardData(Geometry, gy, w.AsReadOnlySpan(), gx, scratch.Span, accumulate: !fresh);
            }
            bool wantsBias = pass.TryGrad(bias, out var gb, out bool biasFresh);
            if (pass.TryGrad(w, out var gw, out bool weightFresh))
            {
                // The bias gradient comes with the weight's, summed while dy is in cache.
                using var scratch = RentScratch<T>(Convolution.BackwardWeightScratchLength<T>(Geometry));
                Convolution.BackwardWeight(Geometry, x.AsReadOnlySpan(), gy, gw, wantsBias ? gb : default, scratch.Span,
                    accumulateWeight: !weightFresh, accumulateBias: !biasFresh);
            }
            else if (wantsBias) ChannelSums(gy, Geometry.Batch, Geometry.OutChannels, Geometry.OutPlane, gb, accumulate: !biasFresh);
        }
    }

    // sums[c] (+)= Σ_n Σ_s values[n, c, s] over values [batch, channels, plane].
    private static void ChannelSums<T>(ReadOnlySpan<T> values, int batch, int channels, int plane, Span<T> sums, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < channels; c++)
        {
            T sum = T.Zero;
            for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum(values.Slice((n * channels + c) * plane, plane));
            sums[c] = accumulate ? sums[c] + sum : sum;
        }
    }

    // The adjoint of the convolution in its input (a transposed convolution): dx [N, C, H, W] from dy [N, O, OH, OW].
    private static Tensor<T> ConvBackwardData<T>(Tensor<T> gy, Tensor<T> weight, in ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = Tensor<T>.Uninitialized(new Shape(g.Batch, g.InChannels, g.InHeight, g.InWidth));
        using (var scratch = RentScratch<T>(Convolution.BackwardDataScratchLength<T>(g)))
            Convolution.BackwardData(g, gy.AsReadOnlySpan(), weight.AsReadOnlySpan(), dx.AsSpan(), scratch.Span, accumulate: false);
        if (Autodiff<T>.ShouldRecord(gy, weight))
        {
            var node = Autodiff<T>.Record<ConvBackwardDataNode<T>>("ConvBackwardData", dx, gy, weight);
            node.Geometry = g;
        }
        return dx;
    }

    // conv_backward_data(dy, W) = Aᵀ_W dy, so ⟨u, Aᵀ_W dy⟩ = ⟨conv(u, W), dy⟩: conv(u, W) to dy, ConvBackwardWeight(u, dy) to W
    private sealed class ConvBackwardDataNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ConvGeometry Geometry;

        internal override void Rule(Tensor<T> u, BackwardPass<T> pass)
        {
            Tensor<T> gy = Input(0), w = Input(1);
            if (pass.Wants(gy)) pass.Add(gy, ConvForward("Conv2d", u, w, null, Geometry));
            if (pass.Wants(w)) pass.Add(w, ConvBackwardWeight(u, gy, Geometry));
        }
    }

    // The adjoint of the convolution in its weight: dW [O, C/groups, kH, kW] = Σ_n dy_n · col(x_n)ᵀ (no bias part).
    private static Tensor<T> ConvBackwardWeight<T>(Tensor<T> x, Tensor<T> gy, in ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dw = Tensor<T>.Uninitialized(new Shape(g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth));
        using (var scratch = RentScratch<T>(Convolution.BackwardWeightScratchLength<T>(g)))
            Convolution.BackwardWeight(g, x.AsReadOnlySpan(), gy.AsReadOnlySpan(), dw.AsSpan(), default, scratch.Span, accumulateWeight: false, accumulateBias: false);
        if (Autodiff<T>.ShouldRecord(x, gy))
        {
            var node = Autodiff<T>.Record<ConvBackwardWeightNode<T>>("ConvBackwardWeight", dw, x, gy);
            node.Geometry = g;
        }
        return dw;
    }

    // conv_backward_weight(x, dy): ⟨V, dW(x, dy)⟩ = ⟨conv(x, V), dy⟩, so ConvBackwardData(dy, V) to x, conv(x, V) to dy
    private sealed class ConvBackwardWeightNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ConvGeometry Geometry;

        internal override void Rule(Tensor<T> v, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), gy = Input(1);
            if (pass.Wants(x)) pass.Add(x, ConvBackwardData(gy, v, Geometry));
            if (pass.Wants(gy)) pass.Add(gy, ConvForward("Conv2d", x, v, null, Geometry));
        }
    }
}
