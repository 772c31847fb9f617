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
        for (int i = 0; i < mc; i += mr)
        {
            int rows = Math.Min(mr, mc - i);
            if (transA) CopyRuns(a + i, lda, kc, rows, mr, dst);
            else Transpose(a + i * lda, lda, rows, kc, mr, dst);
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
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            int width = cols <= narrow ? narrow : nr;
            if (transB) Transpose(b + j * ldb, ldb, cols, kc, width, dst);
            else CopyRuns(b + j, ldb, kc, cols, width, dst);
            dst += (nint)width * kc;
        }
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

    // dst[p·width + r] = src[r·srcStride + p] for r < rows, zero for rows ≤ r < width.
    private static void Transpose<T>(T* src, nint srcStride, int rows, int count, int width, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Zero the padding columns first, in one bulk clear: a small clear per p costs more than rewriting the panel.
        if (rows < width) new Span<T>(dst, count * width).Clear();
        int r = 0;
        if (CanTranspose8x8<T>())
        {
            for (; r + 8 <= rows; r += 8)
            {
                T* s = src + r * srcStride;
                int p = 0;
                for (; p + 8 <= count; p += 8) Transpose8x8(s + p, srcStride, dst + (nint)p * width + r, width);
                for (; p < count; p++)
                    for (int x = 0; x < 8; x++) dst[(nint)p * width + r + x] = s[x * srcStride + p];
            }
        }
        for (; r < rows; r++)
        {
            T* s = src + r * srcStride;
            for (int p = 0; p < count; p++) dst[(nint)p * width + r] = s[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanTranspose8x8<T>() =>
        (typeof(T) == typeof(float) && Avx.IsSupported) || (typeof(T) == typeof(double) && Avx512F.IsSupported);

    // 8×8 block: dst[p·dstStride + r] = src[r·srcStride + p]; shuffles instead of 64 scalar moves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8<T>(T* src, nint srcStride, T* dst, nint dstStride) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Transpose8x8((float*)src, srcStride, (float*)dst, dstStride);
        else if (typeof(T) == typeof(double)) Transpose8x8((double*)src, srcStride, (double*)dst, dstStride);
    }

    private static void Transpose8x8(float* s, nint ss, float* d, nint ds)
    {
        var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ss);
        var r2 = Avx.LoadVector256(s + 2 * ss); var r3 = Avx.LoadVector256(s + 3 * ss);
        var r4 = Avx.LoadVector256(s + 4 * ss); var r5 = Avx.LoadVector256(s + 5 * ss);
        var r6 = Avx.LoadVector256(s + 6 * ss); var r7 = Avx.LoadVector256(s + 7 * ss);
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves: the classic 24-shuffle transpose.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20)); Avx.Store(d + ds, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ds, Avx.Permute2x128(u2, u6, 0x20)); Avx.Store(d + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ds, Avx.Permute2x128(u0, u4, 0x31)); Avx.Store(d + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ds, Avx.Permute2x128(u2, u6, 0x31)); Avx.Store(d + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static readonly Vector512<long> EvenLanes = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);
    private static readonly Vector512<long> OddLanes = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);

    private static void Transpose8x8(double* s, nint ss, double* d, nint ds)
    {
        var r0 = Avx512F.LoadVector512(s); var r1 = Avx512F.LoadVector512(s + ss);
        var r2 = Avx512F.LoadVector512(s + 2 * ss); var r3 = Avx512F.LoadVector512(s + 3 * ss);
        var r4 = Avx512F.LoadVector512(s + 4 * ss); var r5 = Avx512F.LoadVector512(s + 5 * ss);
        var r6 = Avx512F.LoadVector512(s + 6 * ss); var r7 = Avx512F.LoadVector512(s + 7 * ss);
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
        Avx512F.Store(d, Avx512F.Shuffle4x128(u0, u4, 0x44)); Avx512F.Store(d + 4 * ds, Avx512F.Shuffle4x128(u0, u4, 0xEE));
        Avx512F.Store(d + 2 * ds, Avx512F.Shuffle4x128(u1, u5, 0x44)); Avx512F.Store(d + 6 * ds, Avx512F.Shuffle4x128(u1, u5, 0xEE));
        Avx512F.Store(d + ds, Avx512F.Shuffle4x128(u2, u6, 0x44)); Avx512F.Store(d + 5 * ds, Avx512F.Shuffle4x128(u2, u6, 0xEE));
        Avx512F.Store(d + 3 * ds, Avx512F.Shuffle4x128(u3, u7, 0x44)); Avx512F.Store(d + 7 * ds, Avx512F.Shuffle4x128(u3, u7, 0xEE));
    }
}
