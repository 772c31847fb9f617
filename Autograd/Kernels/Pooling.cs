using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// The shapes of a 2-D pooling: x [planes, H, W] → y [planes, OH, OW], where planes = N·C (every channel of every sample
/// pools alone), row-major and contiguous. Windows of kH×kW taken every (sH, sW) over the input padded by (pH, pW);
/// OH and OW follow <see cref="ConvGeometry.OutputSize"/> (no dilation, no ceil mode).
/// </summary>
internal readonly struct PoolGeometry
{
    public readonly int Planes, InHeight, InWidth;
    public readonly int KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadHeight, PadWidth;
    public readonly int OutHeight, OutWidth;

    public PoolGeometry(int planes, int inHeight, int inWidth, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding)
    {
        Planes = planes; InHeight = inHeight; InWidth = inWidth;
        (KernelHeight, KernelWidth) = kernel; (StrideHeight, StrideWidth) = stride; (PadHeight, PadWidth) = padding;
        OutHeight = ConvGeometry.OutputSize(inHeight, KernelHeight, StrideHeight, PadHeight, 1);
        OutWidth = ConvGeometry.OutputSize(inWidth, KernelWidth, StrideWidth, PadWidth, 1);
    }

    /// <summary>
    /// Positive sizes, an output of at least 1×1 and, as PyTorch requires, padding at most half the kernel: then every
    /// window holds at least one input element, so a max always exists and no average is of padding alone.
    /// </summary>
    public bool IsValid =>
        Planes >= 0 && InHeight > 0 && InWidth > 0 && KernelHeight > 0 && KernelWidth > 0 && StrideHeight > 0 && StrideWidth > 0 &&
        PadHeight >= 0 && PadWidth >= 0 && 2 * PadHeight <= KernelHeight && 2 * PadWidth <= KernelWidth && OutHeight > 0 && OutWidth > 0;

    public int InPlane => InHeight * InWidth;
    public int OutPlane => OutHeight * OutWidth;
    public int InputLength => Planes * InPlane;
    public int OutputLength => Planes * OutPlane;

    /// <summary>2×2 windows at stride 2 without padding: the common case, which has a vector path.</summary>
    public bool IsHalving => KernelHeight == 2 && KernelWidth == 2 && StrideHeight == 2 && StrideWidth == 2 && PadHeight == 0 && PadWidth == 0;

    public override string ToString() =>
        $"x [{Planes}, {InHeight}, {InWidth}], kernel ({KernelHeight}, {KernelWidth}), stride ({StrideHeight}, {StrideWidth}), " +
        $"padding ({PadHeight}, {PadWidth}) → y [{Planes}, {OutHeight}, {OutWidth}]";
}

/// <summary>
/// Max, average and global-average pooling with their backward passes, on the layouts of <see cref="PoolGeometry"/>.
/// Max pooling records, per output, the index h·W + w of its maximum within the input plane (PyTorch's convention), so
/// its backward is a scatter; ties go to the first maximal element in row-major window order and NaN propagates
/// (a NaN in the window is the maximum), as in PyTorch. Average pooling divides by kH·kW whatever the padding
/// (PyTorch's default count_include_pad = true). Sizes are asserted, not validated: the ops check shapes.
/// </summary>
internal static unsafe class Pooling
{
    /// <summary>y = the max over each window of x; <paramref name="indices"/> [planes, OH, OW] = where in its input plane each max is.</summary>
    public static void MaxForward<T>(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, y.Length);
        Debug.Assert(indices.Length >= g.OutputLength, "indices shorter than the output");
        if (g.IsHalving && typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            fixed (T* px = x, py = y)
            fixed (int* pi = indices)
                for (int p = 0; p < g.Planes; p++)
                    MaxHalvingPlane((float*)px + (nint)p * g.InPlane, g.InWidth, g.OutHeight, g.OutWidth,
                        (float*)py + (nint)p * g.OutPlane, pi + (nint)p * g.OutPlane);
            return;
        }
        foreach (var window in Windows(g))
        {
            var plane = x.Slice(window.Plane * g.InPlane, g.InPlane);
            T max = T.NegativeInfinity;
            int at = window.RowStart * g.InWidth + window.ColumnStart;
            for (int h = window.RowStart; h < window.RowEnd; h++)
                for (int w = window.ColumnStart; w < window.ColumnEnd; w++)
                {
                    T v = plane[h * g.InWidth + w];
                    // Strictly greater keeps the first of equal maxima; a NaN always takes over.
                    if (v > max || T.IsNaN(v)) { max = v; at = h * g.InWidth + w; }
                }
            y[window.Output] = max;
            indices[window.Output] = at;
        }
    }

    /// <summary>
    /// dx (+)= dy scattered to the positions <see cref="MaxForward{T}"/> recorded (windows that overlap add up). With
    /// <paramref name="pooled"/> (the forward's output y) a window passes its gradient only where y &gt; 0: the backward
    /// of a ReLU and the max pooling over it in one pass, since the recorded maximum is the ReLU output y was taken from.
    /// </summary>
    public static void MaxBackward<T>(in PoolGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<int> indices, Span<T> dx, bool accumulate,
        ReadOnlySpan<T> pooled = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, dx.Length, dy.Length);
        Debug.Assert(indices.Length >= g.OutputLength, "indices shorter than the output");
        Debug.Assert(pooled.IsEmpty || pooled.Length >= g.OutputLength, "pooled outputs shorter than the output");
        bool rectified = !pooled.IsEmpty;
        if (g.IsHalving && typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            fixed (T* pdy = dy, pdx = dx, py = pooled)
            fixed (int* pi = indices)
                for (int p = 0; p < g.Planes; p++)
                    MaxHalvingBackwardPlane((float*)pdy + (nint)p * g.OutPlane, rectified ? (float*)py + (nint)p * g.OutPlane : null,
                        pi + (nint)p * g.OutPlane, g.InHeight, g.InWidth, g.OutHeight, g.OutWidth, (float*)pdx + (nint)p * g.InPlane, accumulate);
            return;
        }
        if (!accumulate) dx[..g.InputLength].Clear();
        for (int p = 0; p < g.Planes; p++)
        {
            var plane = dx.Slice(p * g.InPlane, g.InPlane);
            int o = p * g.OutPlane;
            for (int i = 0; i < g.OutPlane; i++)
                if (!rectified || pooled[o + i] > T.Zero) plane[indices[o + i]] += dy[o + i];
        }
    }

    /// <summary>y = the sum over each window of x divided by kH·kW (padding counts as zeros).</summary>
    public static void AverageForward<T>(in PoolGeometry g, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, y.Length);
        T scale = T.One / T.CreateChecked(g.KernelHeight * g.KernelWidth);
        foreach (var window in Windows(g))
        {
            var plane = x.Slice(window.Plane * g.InPlane, g.InPlane);
            T sum = T.Zero;
            for (int h = window.RowStart; h < window.RowEnd; h++)
                sum += TensorPrimitives.Sum(plane.Slice(h * g.InWidth + window.ColumnStart, window.ColumnEnd - window.ColumnStart));
            y[window.Output] = sum * scale;
        }
    }

    /// <summary>dx (+)= dy / (kH·kW) spread over each window's input elements.</summary>
    public static void AverageBackward<T>(in PoolGeometry g, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, dx.Length, dy.Length);
        if (!accumulate) dx[..g.InputLength].Clear();
        T scale = T.One / T.CreateChecked(g.KernelHeight * g.KernelWidth);
        foreach (var window in Windows(g))
        {
            var plane = dx.Slice(window.Plane * g.InPlane, g.InPlane);
            T share = dy[window.Output] * scale;
            for (int h = window.RowStart; h < window.RowEnd; h++)
                InPlace.AddScalar(plane.Slice(h * g.InWidth + window.ColumnStart, window.ColumnEnd - window.ColumnStart), share);
        }
    }

    /// <summary>y [planes] = the mean of each plane of x [planes, planeLength] (adaptive average pooling to 1×1).</summary>
    public static void GlobalAverageForward<T>(int planes, int planeLength, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(planeLength > 0 && x.Length >= planes * planeLength && y.Length >= planes, "spans too short");
        T scale = T.One / T.CreateChecked(planeLength);
        for (int p = 0; p < planes; p++) y[p] = TensorPrimitives.Sum(x.Slice(p * planeLength, planeLength)) * scale;
    }

    /// <summary>dx [planes, planeLength] (+)= dy [planes] / planeLength, spread over each plane.</summary>
    public static void GlobalAverageBackward<T>(int planes, int planeLength, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(planeLength > 0 && dx.Length >= planes * planeLength && dy.Length >= planes, "spans too short");
        T scale = T.One / T.CreateChecked(planeLength);
        for (int p = 0; p < planes; p++)
        {
            var plane = dx.Slice(p * planeLength, planeLength);
            if (accumulate) InPlace.AddScalar(plane, dy[p] * scale);
            else plane.Fill(dy[p] * scale);
        }
    }

    private static WindowEnumerator Windows(in PoolGeometry g) => new(g);

    /// <summary>One output position and the part of its window inside the input: rows [RowStart, RowEnd) and columns
    /// [ColumnStart, ColumnEnd) of input plane <see cref="Plane"/>; <see cref="Output"/> indexes y over all planes.</summary>
    private readonly record struct ClippedWindow(int Plane, int Output, int RowStart, int RowEnd, int ColumnStart, int ColumnEnd);

    // Every output position in order (planes, then rows, then columns), without allocating.
    private struct WindowEnumerator(PoolGeometry g)
    {
        private int _plane, _row, _column = -1, _output = -1;

        public readonly WindowEnumerator GetEnumerator() => this;

        public readonly ClippedWindow Current
        {
            get
            {
                int top = _row * g.StrideHeight - g.PadHeight, left = _column * g.StrideWidth - g.PadWidth;
                return new ClippedWindow(_plane, _output, Math.Max(top, 0), Math.Min(top + g.KernelHeight, g.InHeight),
                    Math.Max(left, 0), Math.Min(left + g.KernelWidth, g.InWidth));
            }
        }

        public bool MoveNext()
        {
            if (_plane >= g.Planes) return false;   // also an empty batch
            _output++;
            if (++_column < g.OutWidth) return true;
            _column = 0;
            if (++_row < g.OutHeight) return true;
            _row = 0;
            return ++_plane < g.Planes;
        }
    }

    // Even and odd lanes of two consecutive vectors (32 floats → 16 and 16), and their inverse interleave.
    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> OddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    // One plane of 2×2 / stride-2 max pooling, 16 outputs at a time: the four candidates of each window are the even and
    // odd lanes of two input rows, a = (0,0), b = (0,1), c = (1,0), d = (1,1). Taking b over a only when greater (or NaN),
    // d over c likewise, then the second pair over the first likewise, picks the same element as a row-major scan does.
    private static void MaxHalvingPlane(float* x, int width, int outHeight, int outWidth, float* y, int* indices)
    {
        const int v = 16;
        for (int oh = 0; oh < outHeight; oh++, y += outWidth, indices += outWidth)
        {
            float* top = x + (nint)2 * oh * width, bottom = top + width;
            var baseIndex = Vector512.Create(2 * oh * width) + Vector512<int>.Indices * 2;
            for (int ow = 0; ow < outWidth; ow += v)
            {
                int count = Math.Min(v, outWidth - ow);
                // 2·count inputs per row: the first vector holds up to 16 of them, the second the rest.
                var lowMask = FloatLanes(Math.Min(2 * count, v)); var highMask = FloatLanes(Math.Max(0, 2 * count - v));
                float* t = top + 2 * ow, u = bottom + 2 * ow;
                var t0 = Avx512F.MaskLoad(t, lowMask, default); var t1 = Avx512F.MaskLoad(t + v, highMask, default);
                var u0 = Avx512F.MaskLoad(u, lowMask, default); var u1 = Avx512F.MaskLoad(u + v, highMask, default);
                var a = Avx512F.PermuteVar16x32x2(t0, EvenLanes, t1); var b = Avx512F.PermuteVar16x32x2(t0, OddLanes, t1);
                var c = Avx512F.PermuteVar16x32x2(u0, EvenLanes, u1); var d = Avx512F.PermuteVar16x32x2(u0, OddLanes, u1);
                var indexA = baseIndex + Vector512.Create(2 * ow);
                var takeB = Takes(b, a); var ab = Vector512.ConditionalSelect(takeB, b, a);
                var indexAb = Vector512.ConditionalSelect(takeB.AsInt32(), indexA + Vector512<int>.One, indexA);
                var takeD = Takes(d, c); var cd = Vector512.ConditionalSelect(takeD, d, c);
                var indexCd = Vector512.ConditionalSelect(takeD.AsInt32(), indexA + Vector512.Create(width + 1), indexA + Vector512.Create(width));
                var takeCd = Takes(cd, ab);
                var max = Vector512.ConditionalSelect(takeCd, cd, ab);
                var at = Vector512.ConditionalSelect(takeCd.AsInt32(), indexCd, indexAb);
                if (count == v) { max.Store(y + ow); at.Store(indices + ow); }
                else
                {
                    var mask = FloatLanes(count);
                    Avx512F.MaskStore(y + ow, mask, max);
                    Avx512F.MaskStore(indices + ow, mask.AsInt32(), at);
                }
            }
        }
    }

    // The backward of MaxHalvingPlane, written densely: each input of a window gets dy where it is the recorded max and 0
    // elsewhere, so nothing is cleared first; a last row or column that no window covers (odd H or W) gets 0.
    // With `pooled` (not null) a window's gradient passes only where its pooled value is > 0 (MaxBackward's ReLU gate).
    private static void MaxHalvingBackwardPlane(float* dy, float* pooled, int* indices, int height, int width, int outHeight, int outWidth,
        float* dx, bool accumulate)
    {
        const int v = 16;
        for (int oh = 0; oh < outHeight; oh++, dy += outWidth, indices += outWidth, pooled += pooled == null ? 0 : outWidth)
        {
            float* top = dx + (nint)2 * oh * width, bottom = top + width;
            var baseIndex = Vector512.Create(2 * oh * width) + Vector512<int>.Indices * 2;
            for (int ow = 0; ow < outWidth; ow += v)
            {
                int count = Math.Min(v, outWidth - ow);
                var mask = FloatLanes(count);
                var g = Avx512F.MaskLoad(dy + ow, mask, default);
                if (pooled != null) g &= Vector512.GreaterThan(Avx512F.MaskLoad(pooled + ow, mask, default), Vector512<float>.Zero);
                var at = Avx512F.MaskLoad(indices + ow, mask.AsInt32(), default);
                var indexA = baseIndex + Vector512.Create(2 * ow);
                var a = Only(at, indexA, g); var b = Only(at, indexA + Vector512<int>.One, g);
                var c = Only(at, indexA + Vector512.Create(width), g); var d = Only(at, indexA + Vector512.Create(width + 1), g);
                var lowMask = FloatLanes(Math.Min(2 * count, v)); var highMask = FloatLanes(Math.Max(0, 2 * count - v));
                float* t = top + 2 * ow, u = bottom + 2 * ow;
                StoreRun(t, lowMask, Avx512F.PermuteVar16x32x2(a, InterleaveLow, b), accumulate);
                StoreRun(t + v, highMask, Avx512F.PermuteVar16x32x2(a, InterleaveHigh, b), accumulate);
                StoreRun(u, lowMask, Avx512F.PermuteVar16x32x2(c, InterleaveLow, d), accumulate);
                StoreRun(u + v, highMask, Avx512F.PermuteVar16x32x2(c, InterleaveHigh, d), accumulate);
            }
            if (!accumulate && width > 2 * outWidth)
            {
                new Span<float>(top + 2 * outWidth, width - 2 * outWidth).Clear();
                new Span<float>(bottom + 2 * outWidth, width - 2 * outWidth).Clear();
            }
        }
        if (!accumulate && height > 2 * outHeight)
            new Span<float>(dx + (nint)2 * outHeight * width, (height - 2 * outHeight) * width).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Takes(Vector512<float> later, Vector512<float> earlier) =>
        Vector512.GreaterThan(later, earlier) | ~Vector512.Equals(later, later);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Only(Vector512<int> at, Vector512<int> index, Vector512<float> g) =>
        Vector512.ConditionalSelect(Vector512.Equals(at, index).AsSingle(), g, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRun(float* p, Vector512<float> mask, Vector512<float> value, bool accumulate)
    {
        if (accumulate) value += Avx512F.MaskLoad(p, mask, default);
        Avx512F.MaskStore(p, mask, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FloatLanes(int count) => Masked.FirstLanes<float>(count);

    [Conditional("DEBUG")]
    private static void AssertSizes(in PoolGeometry g, int input, int output)
    {
        Debug.Assert(g.IsValid, $"invalid geometry {g}");
        Debug.Assert(input >= g.InputLength && output >= g.OutputLength, $"spans too short for {g}");
    }
}
