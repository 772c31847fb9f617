using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// Packs GEMM operands into the layout the micro-kernels stream through: A into panels of MR rows
/// (for each p, MR consecutive row values), B into panels of NR columns (for each p, NR consecutive column values),
/// zero-padded past the matrix edge so the kernels never branch on ragged tiles. This is also where transposes
/// are absorbed: a layout that is already p-major is a run copy, otherwise it is a transposing copy in 8×8 blocks.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>
    /// Packs op(A)[0..mc, 0..kc) (pointer <paramref name="a"/> at its (0,0)) into ⌈mc/mr⌉ panels of mr×kc.
    /// op(A)(i,p) is a[i·lda + p], or a[p·lda + i] with <paramref name="transA"/>.
    /// </summary>
    public static void PackA<T>(T* a, nint lda, bool transA, int mc, int kc, int mr, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i0 = 0;
        if (transA)
        {
            i0 = mc / mr * mr;
            CopyPanels(a, lda, kc, mc / mr, mr, dst);
            dst += (nint)i0 * kc;
        }
        for (int i = i0; i < mc; i += mr)
        {
            int rows = Math.Min(mr, mc - i);
            if (transA) CopyRuns(a + i, lda, kc, rows, mr, dst);
            else Transpose(a + i * lda, lda, rows, kc, mr, dst, prefetchNext: true);
            dst += (nint)mr * kc;
        }
    }

    /// <summary>
    /// Packs op(B)[0..kc, 0..nc) into panels nr wide, except a last panel of at most <paramref name="narrow"/>
    /// columns, which is packed <paramref name="narrow"/> wide (the driver runs the narrow kernel on it).
    /// op(B)(p,j) is b[p·ldb + j], or b[j·ldb + p] with <paramref name="transB"/>.
    /// </summary>
    public static void PackB<T>(T* b, nint ldb, bool transB, int kc, int nc, int nr, int narrow, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j0 = 0;
        if (!transB)
        {
            j0 = nc / nr * nr;
            CopyPanels(b, ldb, kc, nc / nr, nr, dst);
            dst += (nint)j0 * kc;
        }
        for (int j = j0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            int width = cols <= narrow ? narrow : nr;
            if (transB) Transpose(b + j * ldb, ldb, cols, kc, width, dst, prefetchNext: false);
            else CopyRuns(b + j, ldb, kc, cols, width, dst);
            dst += (nint)width * kc;
        }
    }

    // Source rows copied per pass over the panels (measured on AVX2, 1000-row B: 8 beat 4, 16, 32 and all of kc).
    private const int RowsPerPass = 8;

    // Full panels from a p-major source: panel q gets dst[q·width·count + p·width + x] = src[p·srcStride + q·width + x].
    // The source's rows are the outer loop (in chunks of a few), so it is read as contiguous rows, not as one column
    // slice after another down rows far apart.
    private static void CopyPanels<T>(T* src, nint srcStride, int count, int panels, int width, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p0 = 0; p0 < count; p0 += RowsPerPass)
        {
            int rows = Math.Min(RowsPerPass, count - p0);
            for (int q = 0; q < panels; q++)
            {
                T* s = src + p0 * srcStride + q * width, d = dst + ((nint)q * count + p0) * width;
                for (int p = 0; p < rows; p++, s += srcStride, d += width)
                {
                    PrefetchRun(s + RowsPerPass * srcStride, width);
                    CopyRun(s, d, width);
                }
            }
        }
    }

    // The same columns of the next pass's rows, one request per cache line (the source often comes from L3: the hardware
    // prefetchers do not follow these rows far enough ahead). A line straddling into the next panel is that panel's request;
    // the last pass requests rows past the block, which is harmless (a prefetch never faults).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRun<T>(T* src, int run) where T : unmanaged
    {
        if (!Sse.IsSupported) return;
        for (int x = 0; x < run; x += 64 / sizeof(T)) Sse.Prefetch0(src + x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(T* src, T* dst, int run) where T : unmanaged
    {
        int x = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; x + Vector512<T>.Count <= run; x += Vector512<T>.Count) Vector512.Load(src + x).Store(dst + x);
        if (Vector256.IsHardwareAccelerated)
            for (; x + Vector256<T>.Count <= run; x += Vector256<T>.Count) Vector256.Load(src + x).Store(dst + x);
        if (Vector128.IsHardwareAccelerated)
            for (; x + Vector128<T>.Count <= run; x += Vector128<T>.Count) Vector128.Load(src + x).Store(dst + x);
        for (; x < run; x++) dst[x] = src[x];
    }

    // dst[p·width + x] = src[p·srcStride + x] for x < run, zero for run ≤ x < width.
    private static void CopyRuns<T>(T* src, nint srcStride, int count, int run, int width, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Avx512F.IsSupported && width % Vector512<T>.Count == 0)
        {
            // Masked loads read only the run and fill the padding with zeros in the same full-width store.
            int v = Vector512<T>.Count, whole = run - run % v;
            var tail = Masked.FirstLanes<T>(run - whole);
            for (int p = 0; p < count; p++, src += srcStride, dst += width)
            {
                int x = 0;
                for (; x < whole; x += v) Vector512.Load(src + x).Store(dst + x);
                if (x < width) { Masked.Load(src + x, tail).Store(dst + x); x += v; }
                for (; x < width; x += v) Vector512<T>.Zero.Store(dst + x);
            }
            return;
        }
        for (int p = 0; p < count; p++, src += srcStride, dst += width)
        {
            int x = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; x + Vector512<T>.Count <= run; x += Vector512<T>.Count) Vector512.Load(src + x).Store(dst + x);
            if (Vector256.IsHardwareAccelerated)
                for (; x + Vector256<T>.Count <= run; x += Vector256<T>.Count) Vector256.Load(src + x).Store(dst + x);
            for (; x < run; x++) dst[x] = src[x];
            for (; x < width; x++) dst[x] = T.Zero;
        }
    }

    // dst[p·width + r] = src[r·srcStride + p] for r < rows, zero for rows ≤ r < width. With prefetchNext, the next panel's
    // source rows (the `width` rows after these, as in A's consecutive panels) are requested a cache line per row as the
    // columns advance: a whole panel ahead, far enough for a tall A streaming from L3 (B's transposed panels, mostly
    // L2-resident, only paid for the requests).
    private static void Transpose<T>(T* src, nint srcStride, int rows, int count, int width, T* dst, bool prefetchNext) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!CanTranspose8x8<T>())
        {
            // Zero the padding columns first, in one bulk clear: a small clear per p costs more than rewriting the panel.
            if (rows < width) new Span<T>(dst, count * width).Clear();
            for (int r = 0; r < rows; r++)
            {
                T* s = src + r * srcStride;
                for (int p = 0; p < count; p++) dst[(nint)p * width + r] = s[p];
            }
            return;
        }
        // Blocks of 8 destination lanes, the padding rows loaded as zeros, so no separate clear. A last block that reaches
        // past the width (AVX2's 6-row panels) is still stored 8 lanes at a time: the lanes past the width land on the next
        // p's first lanes, which later stores overwrite (the next p of the same block, or the whole blocks, hence it goes
        // first). Only a store that would pass the end of the panel goes through a scratch block.
        nint end = (nint)count * width;
        int blocks = (width + 7) / 8;
        bool partial = width % 8 != 0;
        for (int block = 0; block < blocks; block++)
        {
            int r = 8 * (!partial ? block : block == 0 ? blocks - 1 : block - 1);
            int real = Math.Clamp(rows - r, 0, 8), lanes = Math.Min(8, width - r);
            T* s = src + r * srcStride, d = dst + r;
            int p = 0;
            for (; p + 8 <= count; p += 8)
            {
                if (prefetchNext && Sse.IsSupported && (p & (64 / sizeof(T) - 1)) == 0)
                    for (int x = 0; x < real; x++) Sse.Prefetch0(s + (width + x) * srcStride + p);
                if (lanes == 8 || (nint)(p + 7) * width + r + 8 <= end) Transpose8x8(s + p, srcStride, real, d + (nint)p * width, width);
                else TransposeThroughScratch(s + p, srcStride, real, lanes, d + (nint)p * width, width);
            }
            for (; p < count; p++)
                for (int x = 0; x < lanes; x++) d[(nint)p * width + x] = x < real ? s[x * srcStride + p] : T.Zero;
        }
    }

    // One 8×8 block of which only the first `lanes` destination lanes are stored (out of line: at most once per panel).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TransposeThroughScratch<T>(T* src, nint srcStride, int rows, int lanes, T* dst, nint dstStride) where T : unmanaged
    {
        T* scratch = stackalloc T[64];
        Transpose8x8(src, srcStride, rows, scratch, 8);
        for (int q = 0; q < 8; q++)
            for (int x = 0; x < lanes; x++) dst[q * dstStride + x] = scratch[q * 8 + x];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanTranspose8x8<T>() =>
        (typeof(T) == typeof(float) && Avx.IsSupported) || (typeof(T) == typeof(double) && Avx512F.IsSupported);

    // 8×8 block: dst[p·dstStride + r] = src[r·srcStride + p] for r < rows, zero for the other r < 8; shuffles instead
    // of 64 scalar moves. Rows past `rows` are not read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8<T>(T* src, nint srcStride, int rows, T* dst, nint dstStride) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Transpose8x8((float*)src, srcStride, rows, (float*)dst, dstStride);
        else if (typeof(T) == typeof(double)) Transpose8x8((double*)src, srcStride, rows, (double*)dst, dstStride);
    }

    private static void Transpose8x8(float* s, nint ss, int rows, float* d, nint ds)
    {
        if (rows == 8)
            Transpose8x8(Avx.LoadVector256(s), Avx.LoadVector256(s + ss), Avx.LoadVector256(s + 2 * ss), Avx.LoadVector256(s + 3 * ss),
                Avx.LoadVector256(s + 4 * ss), Avx.LoadVector256(s + 5 * ss), Avx.LoadVector256(s + 6 * ss), Avx.LoadVector256(s + 7 * ss), d, ds);
        else
            Transpose8x8(RowOrZero(s, ss, 0, rows), RowOrZero(s, ss, 1, rows), RowOrZero(s, ss, 2, rows), RowOrZero(s, ss, 3, rows),
                RowOrZero(s, ss, 4, rows), RowOrZero(s, ss, 5, rows), RowOrZero(s, ss, 6, rows), RowOrZero(s, ss, 7, rows), d, ds);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowOrZero(float* s, nint ss, int row, int rows) => row < rows ? Avx.LoadVector256(s + row * ss) : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* d, nint ds)
    {
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves: the classic 24-shuffle transpose.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Stored in ascending order: in a panel narrower than 8 each store's last lanes are overwritten by the next one.
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20)); Avx.Store(d + ds, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ds, Avx.Permute2x128(u2, u6, 0x20)); Avx.Store(d + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ds, Avx.Permute2x128(u0, u4, 0x31)); Avx.Store(d + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ds, Avx.Permute2x128(u2, u6, 0x31)); Avx.Store(d + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static readonly Vector512<long> EvenLanes = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);
    private static readonly Vector512<long> OddLanes = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);

    private static void Transpose8x8(double* s, nint ss, int rows, double* d, nint ds)
    {
        if (rows == 8)
            Transpose8x8(Avx512F.LoadVector512(s), Avx512F.LoadVector512(s + ss), Avx512F.LoadVector512(s + 2 * ss), Avx512F.LoadVector512(s + 3 * ss),
                Avx512F.LoadVector512(s + 4 * ss), Avx512F.LoadVector512(s + 5 * ss), Avx512F.LoadVector512(s + 6 * ss), Avx512F.LoadVector512(s + 7 * ss), d, ds);
        else
            Transpose8x8(RowOrZero(s, ss, 0, rows), RowOrZero(s, ss, 1, rows), RowOrZero(s, ss, 2, rows), RowOrZero(s, ss, 3, rows),
                RowOrZero(s, ss, 4, rows), RowOrZero(s, ss, 5, rows), RowOrZero(s, ss, 6, rows), RowOrZero(s, ss, 7, rows), d, ds);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> RowOrZero(double* s, nint ss, int row, int rows) => row < rows ? Avx512F.LoadVector512(s + row * ss) : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector512<double> r0, Vector512<double> r1, Vector512<double> r2, Vector512<double> r3,
        Vector512<double> r4, Vector512<double> r5, Vector512<double> r6, Vector512<double> r7, double* d, nint ds)
    {
        // t holds row pairs per 128-bit lane: t0 = (r0c0 r1c0 | r0c2 r1c2 | r0c4 r1c4 | r0c6 r1c6), t1 the odd columns.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        // u0 = rows 0-3 of columns 0 and 4, u1 = columns 2 and 6, u2 = 1 and 5, u3 = 3 and 7; u4..u7 the same for rows 4-7.
        var u0 = Avx512F.PermuteVar8x64x2(t0, EvenLanes, t2); var u1 = Avx512F.PermuteVar8x64x2(t0, OddLanes, t2);
        var u2 = Avx512F.PermuteVar8x64x2(t1, EvenLanes, t3); var u3 = Avx512F.PermuteVar8x64x2(t1, OddLanes, t3);
        var u4 = Avx512F.PermuteVar8x64x2(t4, EvenLanes, t6); var u5 = Avx512F.PermuteVar8x64x2(t4, OddLanes, t6);
        var u6 = Avx512F.PermuteVar8x64x2(t5, EvenLanes, t7); var u7 = Avx512F.PermuteVar8x64x2(t5, OddLanes, t7);
        // Stored in ascending order: in a panel narrower than 8 each store's last lanes are overwritten by the next one.
        Avx512F.Store(d, Avx512F.Shuffle4x128(u0, u4, 0x44)); Avx512F.Store(d + ds, Avx512F.Shuffle4x128(u2, u6, 0x44));
        Avx512F.Store(d + 2 * ds, Avx512F.Shuffle4x128(u1, u5, 0x44)); Avx512F.Store(d + 3 * ds, Avx512F.Shuffle4x128(u3, u7, 0x44));
        Avx512F.Store(d + 4 * ds, Avx512F.Shuffle4x128(u0, u4, 0xEE)); Avx512F.Store(d + 5 * ds, Avx512F.Shuffle4x128(u2, u6, 0xEE));
        Avx512F.Store(d + 6 * ds, Avx512F.Shuffle4x128(u1, u5, 0xEE)); Avx512F.Store(d + 7 * ds, Avx512F.Shuffle4x128(u3, u7, 0xEE));
    }
}
