using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// The weight gradient of a convolution with a short patch (conv1 of the example network: one channel, 3×3, K = 9)
/// as a direct correlation, dW[o, c, kh, kw] += Σ dy[o, oh, ow] · xPadded[c, oh + kh·dH, ow + kw·dW], vectorized
/// along the output row: one load of dy serves the taps of a kernel row, each tap sums in its own register, and the
/// registers are summed across lanes once per plane. Through the GEMM the same product is a C of O × K (9 columns,
/// all edge) summed over OH·OW per sample, whose tiles spend most of their work on the lanes past K.
/// Stride 1, kernel rows of at most <see cref="MaxKernelWidth"/> taps, AVX-512 only (see <see cref="Supports"/>).
/// </summary>
internal static unsafe class SmallPatchWeightGradient
{
    /// <summary>Widest kernel row: one register per tap.</summary>
    public const int MaxKernelWidth = 4;

    /// <summary>Whether <see cref="Accumulate{T}"/> takes this geometry on this CPU.</summary>
    public static bool Supports(in ConvGeometry g) =>
        Avx512F.IsSupported && g.StrideHeight == 1 && g.StrideWidth == 1 && g.KernelWidth <= MaxKernelWidth;

    /// <summary>
    /// dWeight_g [O/groups, C/groups, kH, kW] += the correlation of one sample's group: <paramref name="padded"/> its input
    /// planes with their zero border [C/groups, H + 2·pH, W + 2·pW] (<see cref="Im2Col.Padded{T}"/>),
    /// <paramref name="dy"/> its output gradient planes [O/groups, OH, OW].
    /// </summary>
    public static void Accumulate<T>(in ConvGeometry g, ReadOnlySpan<T> padded, ReadOnlySpan<T> dy, Span<T> dWeight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count, outHeight = g.OutHeight, outWidth = g.OutWidth, paddedWidth = g.PaddedWidth;
        int kernelHeight = g.KernelHeight, kernelWidth = g.KernelWidth, dilationWidth = g.DilationWidth;
        nint paddedPlane = (nint)g.PaddedHeight * paddedWidth, outPlane = (nint)outHeight * outWidth;
        var tailMask = Masked.FirstLanes<T>(outWidth % v);
        fixed (T* px = padded, pdy = dy, pw = dWeight)
            for (int o = 0; o < g.OutChannelsPerGroup; o++)
                for (int c = 0; c < g.InChannelsPerGroup; c++)
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        var tap0 = Vector512<T>.Zero; var tap1 = Vector512<T>.Zero; var tap2 = Vector512<T>.Zero; var tap3 = Vector512<T>.Zero;
                        T* dyRow = pdy + o * outPlane;
                        T* xRow = px + c * paddedPlane + (nint)kh * g.DilationHeight * paddedWidth;
                        for (int oh = 0; oh < outHeight; oh++, dyRow += outWidth, xRow += paddedWidth)
                        {
                            int ow = 0;
                            for (; ow + v <= outWidth; ow += v)
                            {
                                var d = Vector512.Load(dyRow + ow);
                                T* x = xRow + ow;
                                tap0 = MicroKernels.Fma(d, Vector512.Load(x), tap0);
                                if (kernelWidth > 1) tap1 = MicroKernels.Fma(d, Vector512.Load(x + dilationWidth), tap1);
                                if (kernelWidth > 2) tap2 = MicroKernels.Fma(d, Vector512.Load(x + 2 * dilationWidth), tap2);
                                if (kernelWidth > 3) tap3 = MicroKernels.Fma(d, Vector512.Load(x + 3 * dilationWidth), tap3);
                            }
                            if (ow < outWidth)
                            {
                                // The rest of the row, masked on both operands (lanes past OW read nothing): the same
                                // body as above, kept apart so that the whole vectors take plain loads.
                                var d = Masked.Load(dyRow + ow, tailMask);
                                T* x = xRow + ow;
                                tap0 = MicroKernels.Fma(d, Masked.Load(x, tailMask), tap0);
                                if (kernelWidth > 1) tap1 = MicroKernels.Fma(d, Masked.Load(x + dilationWidth, tailMask), tap1);
                                if (kernelWidth > 2) tap2 = MicroKernels.Fma(d, Masked.Load(x + 2 * dilationWidth, tailMask), tap2);
                                if (kernelWidth > 3) tap3 = MicroKernels.Fma(d, Masked.Load(x + 3 * dilationWidth, tailMask), tap3);
                            }
                        }
                        T* w = pw + ((nint)(o * g.InChannelsPerGroup + c) * kernelHeight + kh) * kernelWidth;
                        w[0] += Vector512.Sum(tap0);
                        if (kernelWidth > 1) w[1] += Vector512.Sum(tap1);
                        if (kernelWidth > 2) w[2] += Vector512.Sum(tap2);
                        if (kernelWidth > 3) w[3] += Vector512.Sum(tap3);
                    }
    }
}
