using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// Lowers one group of one sample to its column matrix and back. The column matrix of a group is
/// [(C/groups)·kH·kW, OH·OW]: row (c, kh, kw) holds, for every output position (oh, ow), the input value that kernel
/// tap meets there, x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW], or 0 in the padding. The convolution is then
/// weight [O/groups, (C/groups)·kH·kW] times that matrix.
/// Padding is materialized first (a zero-bordered copy of the group's planes): every row of the column matrix is
/// then a plain copy of OW input values per output row, with no bounds logic: on the network's 3×3 layers that is
/// faster than clipping each run to the input, padding copy included (see docs/BENCHMARKS.md).
/// The column matrix may be one block of a wider one: <c>rowStride</c> is the distance between its rows, OH·OW for one
/// sample alone, s·OH·OW when s samples lie side by side (sample j at column j·OH·OW) for one wider product.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>columns [PatchLength, OutPlane] (rows <paramref name="rowStride"/> apart) ← one group's input planes
    /// <paramref name="x"/> [C/groups, H, W]; <paramref name="padded"/> holds <see cref="ConvGeometry.PaddedGroupLength"/>
    /// elements of scratch.</summary>
    public static void Lower<T>(in ConvGeometry g, ReadOnlySpan<T> x, Span<T> padded, Span<T> columns, int rowStride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(rowStride >= g.OutPlane && columns.Length >= (long)(g.PatchLength - 1) * rowStride + g.OutPlane, "column block too short");
        fixed (T* px = x, pp = padded, pc = columns)
        {
            if (g.PaddedGroupLength == 0) Gather(g, px, g.InHeight, g.InWidth, pc, rowStride);
            else
            {
                Pad(px, g.InChannelsPerGroup, g.InHeight, g.InWidth, g.PadHeight, g.PadWidth, pp);
                Gather(g, pp, g.PaddedHeight, g.PaddedWidth, pc, rowStride);
            }
        }
    }

    /// <summary>
    /// dx [C/groups, H, W] (+)= the adjoint of <see cref="Lower{T}"/> applied to <paramref name="columns"/> (col2im: each
    /// column entry is added to the input position it was copied from); the rows of <paramref name="columns"/> are
    /// <paramref name="rowStride"/> apart. <paramref name="padded"/> is scratch as for Lower.
    /// </summary>
    public static void Raise<T>(in ConvGeometry g, ReadOnlySpan<T> columns, int rowStride, Span<T> padded, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(rowStride >= g.OutPlane && columns.Length >= (long)(g.PatchLength - 1) * rowStride + g.OutPlane, "column block too short");
        fixed (T* pc = columns, pp = padded, pd = dx)
        {
            if (g.StrideHeight == 1 && g.StrideWidth == 1 && g.KernelWidth <= MaxSummedWidth && Avx512F.IsSupported) SumTaps(g, pc, rowStride, pd, accumulate);
            else if (g.PaddedGroupLength == 0)
            {
                if (!accumulate) dx[..(g.InChannelsPerGroup * g.InPlane)].Clear();
                Scatter(g, pc, rowStride, pd, g.InHeight, g.InWidth);
            }
            else
            {
                padded[..g.PaddedGroupLength].Clear();
                Scatter(g, pc, rowStride, pp, g.PaddedHeight, g.PaddedWidth);
                Crop(pp, g.InChannelsPerGroup, g.InHeight, g.InWidth, g.PadHeight, g.PadWidth, pd, accumulate);
            }
        }
    }

    /// <summary>One group's input planes <paramref name="x"/> [C/groups, H, W] with their zero border,
    /// [C/groups, H + 2·pH, W + 2·pW], written to <paramref name="padded"/> (<see cref="ConvGeometry.PaddedGroupLength"/>
    /// elements); x itself when there is no padding.</summary>
    public static ReadOnlySpan<T> Padded<T>(in ConvGeometry g, ReadOnlySpan<T> x, Span<T> padded) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.PaddedGroupLength == 0) return x;
        fixed (T* px = x, pp = padded)
            Pad(px, g.InChannelsPerGroup, g.InHeight, g.InWidth, g.PadHeight, g.PadWidth, pp);
        return padded[..g.PaddedGroupLength];
    }

    /// <summary>
    /// The column matrix transposed, its patch in (kh, kw, c) order: <paramref name="rows"/> [OutPlane, PatchLength], row
    /// p the patch output position p reads, channel fastest, ← one group's input planes <paramref name="x"/> [C/groups, H, W].
    /// <paramref name="interleaved"/> holds <see cref="InterleavedLength"/> elements of scratch: the zero-bordered input
    /// with the channel innermost, [H + 2·pH, W + 2·pW, C/groups], from which each kernel row of a patch is one
    /// contiguous run of kW·C/groups values (with dilation 1; else one run of C/groups per tap).
    /// </summary>
    public static void LowerTransposed<T>(in ConvGeometry g, ReadOnlySpan<T> x, Span<T> interleaved, Span<T> rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = g.InChannelsPerGroup, height = g.InHeight, width = g.InWidth, paddedWidth = g.PaddedWidth;
        Debug.Assert(interleaved.Length >= InterleavedLength(g) && rows.Length >= g.OutPlane * g.PatchLength, "scratch too short");
        fixed (T* px = x, pi = interleaved, pr = rows)
        {
            if (g.PadHeight > 0 || g.PadWidth > 0) Rows.Clear(pi, InterleavedLength(g));
            for (int c = 0; c < channels; c++)
            {
                T* src = px + (nint)c * height * width;
                for (int h = 0; h < height; h++, src += width)
                {
                    T* dst = pi + ((nint)(h + g.PadHeight) * paddedWidth + g.PadWidth) * channels + c;
                    if (channels == 1) Rows.Copy(src, dst, width);
                    else for (int w = 0; w < width; w++) dst[(nint)w * channels] = src[w];
                }
            }
            bool joined = g.DilationWidth == 1;
            int run = joined ? g.KernelWidth * channels : channels, runs = joined ? 1 : g.KernelWidth;
            T* row = pr;
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        T* src = pi + ((nint)(oh * g.StrideHeight + kh * g.DilationHeight) * paddedWidth + (nint)ow * g.StrideWidth) * channels;
                        for (int r = 0; r < runs; r++, row += run) Rows.Copy(src + (nint)r * g.DilationWidth * channels, row, run);
                    }
        }
    }

    /// <summary>Elements of <see cref="LowerTransposed{T}"/>'s interleaved scratch: [H + 2·pH, W + 2·pW, C/groups].</summary>
    public static int InterleavedLength(in ConvGeometry g) => g.PaddedHeight * g.PaddedWidth * g.InChannelsPerGroup;

    // planes [C/groups, height, width] (the input or its padded copy) → columns.
    private static void Gather<T>(in ConvGeometry g, T* planes, int height, int width, T* columns, nint rowStride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        // Consecutive output rows read consecutive input rows end to end (a 1×1 kernel on an unpadded input): one run per row.
        bool oneRun = sw == 1 && sh == 1 && ow == width;
        T* row = columns;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++, row += rowStride)
                {
                    T* src = planes + ((nint)c * height + kh * g.DilationHeight) * width + kw * g.DilationWidth;
                    if (oneRun) { Rows.Copy(src, row, oh * ow); continue; }
                    T* dst = row;
                    for (int r = 0; r < oh; r++, src += (nint)sh * width, dst += ow)
                    {
                        if (sw == 1) Rows.Copy(src, dst, ow);
                        else for (int i = 0; i < ow; i++) dst[i] = src[(nint)i * sw];
                    }
                }
    }

    // The adjoint of Gather: planes += columns scattered back.
    private static void Scatter<T>(in ConvGeometry g, T* columns, nint rowStride, T* planes, int height, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        bool oneRun = sw == 1 && sh == 1 && ow == width;
        T* row = columns;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++, row += rowStride)
                {
                    T* dst = planes + ((nint)c * height + kh * g.DilationHeight) * width + kw * g.DilationWidth;
                    if (oneRun) { Rows.Add(row, dst, oh * ow); continue; }
                    T* src = row;
                    for (int r = 0; r < oh; r++, dst += (nint)sh * width, src += ow)
                    {
                        if (sw == 1) Rows.Add(src, dst, ow);
                        else for (int i = 0; i < ow; i++) dst[(nint)i * sw] += src[i];
                    }
                }
    }

    /// <summary>Widest kernel <see cref="SumTaps{T}"/> takes (its per-tap lane masks live on the stack); wider ones scatter.</summary>
    private const int MaxSummedWidth = 16;

    // The adjoint for stride 1 read the other way round: every vector of dx sums, in registers, the kH·kW column entries
    // that were copied from it (tap (kh, kw) read input (ih, iw) at output (ih + pH − kh·dH, iw + pW − kw·dW)), and is
    // stored once. Scattering instead costs a load and a store of dx per tap, and a row's masked store then overlaps the
    // next row's load, which the CPU cannot forward from: it waits for the store to complete. Which lanes of a tap fall
    // inside the output row depends only on the column block and kw, so those masks are made once per block; two
    // accumulators halve the chain of dependent adds. Nothing to clear, no padding.
    private static void SumTaps<T>(in ConvGeometry g, T* columns, nint rowStride, T* dx, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count, height = g.InHeight, width = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        int kernelWidth = g.KernelWidth;
        Vector512<T>* masks = stackalloc Vector512<T>[MaxSummedWidth];
        int* firsts = stackalloc int[MaxSummedWidth];
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int iw = 0; iw < width; iw += v)
            {
                int lanes = Math.Min(v, width - iw);
                for (int kw = 0; kw < kernelWidth; kw++)
                {
                    // Lane l meets output column first + l: only those inside [0, OW) (and inside this row of dx) count.
                    int first = iw + g.PadWidth - kw * g.DilationWidth;
                    int from = Math.Clamp(-first, 0, v), to = Math.Clamp(outWidth - first, 0, lanes);
                    firsts[kw] = first;
                    masks[kw] = from < to ? Masked.FirstLanes<T>(to) & ~Masked.FirstLanes<T>(from) : Vector512<T>.Zero;
                }
                var storeMask = Masked.FirstLanes<T>(lanes);
                for (int ih = 0; ih < height; ih++)
                {
                    var even = Vector512<T>.Zero; var odd = Vector512<T>.Zero;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int oh = ih + g.PadHeight - kh * g.DilationHeight;
                        if ((uint)oh >= (uint)outHeight) continue;
                        T* tapRow = columns + ((nint)c * g.KernelHeight + kh) * kernelWidth * rowStride + (nint)oh * outWidth;
                        int kw = 0;
                        for (; kw + 1 < kernelWidth; kw += 2, tapRow += 2 * rowStride)
                        {
                            even += Masked.Load(tapRow + firsts[kw], masks[kw]);
                            odd += Masked.Load(tapRow + rowStride + firsts[kw + 1], masks[kw + 1]);
                        }
                        if (kw < kernelWidth) even += Masked.Load(tapRow + firsts[kw], masks[kw]);
                    }
                    T* at = dx + ((nint)c * height + ih) * width + iw;
                    var sum = even + odd;
                    if (accumulate) sum += Masked.Load(at, storeMask);
                    Masked.Store(at, storeMask, sum);
                }
            }
    }

    // padded [channels, height + 2·padH, width + 2·padW] ← x [channels, height, width] with a zero border.
    private static void Pad<T>(T* x, int channels, int height, int width, int padH, int padW, T* padded) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pw = width + 2 * padW;
        for (int c = 0; c < channels; c++)
        {
            // The top border with the first row's left pad, each row's right pad with the next row's left pad, and the last
            // row's right pad with the bottom border are contiguous: one clear each instead of two per row.
            Rows.Clear(padded, padH * pw + padW);
            padded += padH * pw + padW;
            for (int h = 0; h < height; h++, x += width)
            {
                Rows.Copy(x, padded, width);
                padded += width;
                int gap = h < height - 1 ? 2 * padW : padW + padH * pw;
                Rows.Clear(padded, gap);
                padded += gap;
            }
        }
    }

    // dx [channels, height, width] (+)= the interior of padded.
    private static void Crop<T>(T* padded, int channels, int height, int width, int padH, int padW, T* dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pw = width + 2 * padW, ph = height + 2 * padH;
        for (int c = 0; c < channels; c++)
        {
            T* src = padded + ((nint)c * ph + padH) * pw + padW;
            for (int h = 0; h < height; h++, src += pw, dx += width)
            {
                if (accumulate) Rows.Add(src, dx, width);
                else Rows.Copy(src, dx, width);
            }
        }
    }
}

/// <summary>Short contiguous runs (an output row is often 7–28 elements): whole vectors and one masked tail on AVX-512.</summary>
internal static unsafe class Rows
{
    /// <summary>dst[0..count) = src[0..count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<T>(T* src, T* dst, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Avx512F.IsSupported) { new ReadOnlySpan<T>(src, count).CopyTo(new Span<T>(dst, count)); return; }
        int v = Vector512<T>.Count, i = 0;
        for (; i + v <= count; i += v) Vector512.Load(src + i).Store(dst + i);
        if (i < count)
        {
            var mask = Masked.FirstLanes<T>(count - i);
            Masked.Store(dst + i, mask, Masked.Load(src + i, mask));
        }
    }

    /// <summary>dst[0..count) += src[0..count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<T>(T* src, T* dst, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Avx512F.IsSupported) { InPlace.Add(new Span<T>(dst, count), new ReadOnlySpan<T>(src, count)); return; }
        int v = Vector512<T>.Count, i = 0;
        for (; i + v <= count; i += v) (Vector512.Load(dst + i) + Vector512.Load(src + i)).Store(dst + i);
        if (i < count)
        {
            var mask = Masked.FirstLanes<T>(count - i);
            Masked.Store(dst + i, mask, Masked.Load(dst + i, mask) + Masked.Load(src + i, mask));
        }
    }

    /// <summary>dst[0..count) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear<T>(T* dst, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Avx512F.IsSupported) { new Span<T>(dst, count).Clear(); return; }
        int v = Vector512<T>.Count, i = 0;
        for (; i + v <= count; i += v) Vector512<T>.Zero.Store(dst + i);
        if (i < count) Masked.Store(dst + i, Masked.FirstLanes<T>(count - i), Vector512<T>.Zero);
    }
}
