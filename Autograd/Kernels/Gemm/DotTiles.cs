using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// GEMM as a grid of dot products, C(i,j) = A row i · B row j, for operands whose rows are contiguous along k
/// (x·Wᵀ: A not transposed, B transposed). Vectorizing over k reads both operands in place, so nothing is packed;
/// that wins when one side of C is small (batch-1 inference, a 10-class output layer), where packing the other,
/// large operand would cost as much as the arithmetic. Tiles of 4 A rows × 4 B rows keep 16 accumulators busy on
/// 8 loads per 16 FMAs; each output then costs a share of a horizontal sum, so this is used only when k is long.
/// AVX-512 only; the ragged ends of k are masked loads (see <see cref="AlignedRange{T}"/>), so any k works.
/// </summary>
internal static unsafe class DotTiles
{
    /// <summary>Loads of the larger operand are the ones kept cache-line aligned (it streams from L2; the other stays in
    /// L1). The choice sets where each dot product's masked ends fall, so a stripe of a larger product passes the whole
    /// product's choice to get the same bits.</summary>
    public static bool AlignA(int m, int n) => m > n;

    /// <summary>C[i·ldc + j·cs] (+)= Σₚ A[i·lda + p]·B[j·ldb + p] for i &lt; m, j &lt; n; <paramref name="alignA"/> from
    /// <see cref="AlignA"/> of the whole product.</summary>
    // A kernel root: never inlined, so its AggressiveInlining helpers (Fma, loads) always fit its own JIT budget. Inlined
    // into a hot caller (dynamic PGO does that), the budget ran out and Fma stayed a call: 5x slower (see docs/BENCHMARKS.md).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, nint cs, bool accumulate, bool alignA)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            T* ai = a + i * lda, ci = c + i * ldc;
            int j = 0;
            for (; j + 4 <= n; j += 4) Tile4x4(k, ai, lda, b + j * ldb, ldb, ci + j * cs, ldc, cs, alignA, accumulate);
            // A leftover B row against the four A rows: the same 1×4 kernel with the roles swapped (outputs down a column).
            for (; j < n; j++) Dot1x4(k, b + j * ldb, ai, lda, ci + j * cs, ldc, accumulate);
        }
        for (; i < m; i++)
        {
            T* ai = a + i * lda, ci = c + i * ldc;
            int j = 0;
            for (; j + 4 <= n; j += 4) Dot1x4(k, ai, b + j * ldb, ldb, ci + j * cs, cs, accumulate);
            for (; j < n; j++) Dot1x1(k, ai, b + j * ldb, ci + j * cs, accumulate);
        }
    }

    // output[r·os] (+)= x · rows[r·ld], r < 4: 5 loads per 4 FMAs, the rows (the streamed operand) aligned.
    private static void Dot1x4<T>(int k, T* x, T* rows, nint ld, T* output, nint os, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        var range = new AlignedRange<T>(k, rows);
        T* r0 = rows, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int p = range.Start; p < range.End; p += v)
        {
            Vector512<T> x0, y0, y1, y2, y3;
            if (range.IsWhole(p))
            {
                x0 = Vector512.Load(x + p);
                y0 = Vector512.Load(r0 + p); y1 = Vector512.Load(r1 + p); y2 = Vector512.Load(r2 + p); y3 = Vector512.Load(r3 + p);
            }
            else
            {
                var mask = range.MaskAt(p);
                x0 = Masked.Load(x + p, mask);
                y0 = Masked.Load(r0 + p, mask); y1 = Masked.Load(r1 + p, mask); y2 = Masked.Load(r2 + p, mask); y3 = Masked.Load(r3 + p, mask);
            }
            s0 = MicroKernels.Fma(x0, y0, s0); s1 = MicroKernels.Fma(x0, y1, s1);
            s2 = MicroKernels.Fma(x0, y2, s2); s3 = MicroKernels.Fma(x0, y3, s3);
        }
        Put4(output, os, s0, s1, s2, s3, accumulate);
    }

    private static void Dot1x1<T>(int k, T* x, T* row, T* output, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        var range = new AlignedRange<T>(k, row);
        Vector512<T> s0 = default;
        for (int p = range.Start; p < range.End; p += v)
        {
            if (range.IsWhole(p)) s0 = MicroKernels.Fma(Vector512.Load(x + p), Vector512.Load(row + p), s0);
            else
            {
                var mask = range.MaskAt(p);
                s0 = MicroKernels.Fma(Masked.Load(x + p, mask), Masked.Load(row + p, mask), s0);
            }
        }
        T sum = Vector512.Sum(s0);
        *output = accumulate ? *output + sum : sum;
    }

    // C[i+r, j+s] for r, s < 4: sixteen independent accumulators, 8 loads per 16 FMAs, no unrolling needed for latency.
    private static void Tile4x4<T>(int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, nint cs, bool alignA, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        var range = new AlignedRange<T>(k, alignA ? a : b);
        T* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        T* b0 = b, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int p = range.Start; p < range.End; p += v)
        {
            Vector512<T> x0, x1, x2, x3, y0, y1, y2, y3;
            if (range.IsWhole(p))
            {
                x0 = Vector512.Load(a0 + p); x1 = Vector512.Load(a1 + p); x2 = Vector512.Load(a2 + p); x3 = Vector512.Load(a3 + p);
                y0 = Vector512.Load(b0 + p); y1 = Vector512.Load(b1 + p); y2 = Vector512.Load(b2 + p); y3 = Vector512.Load(b3 + p);
            }
            else
            {
                var mask = range.MaskAt(p);
                x0 = Masked.Load(a0 + p, mask); x1 = Masked.Load(a1 + p, mask); x2 = Masked.Load(a2 + p, mask); x3 = Masked.Load(a3 + p, mask);
                y0 = Masked.Load(b0 + p, mask); y1 = Masked.Load(b1 + p, mask); y2 = Masked.Load(b2 + p, mask); y3 = Masked.Load(b3 + p, mask);
            }
            c00 = MicroKernels.Fma(x0, y0, c00); c01 = MicroKernels.Fma(x0, y1, c01); c02 = MicroKernels.Fma(x0, y2, c02); c03 = MicroKernels.Fma(x0, y3, c03);
            c10 = MicroKernels.Fma(x1, y0, c10); c11 = MicroKernels.Fma(x1, y1, c11); c12 = MicroKernels.Fma(x1, y2, c12); c13 = MicroKernels.Fma(x1, y3, c13);
            c20 = MicroKernels.Fma(x2, y0, c20); c21 = MicroKernels.Fma(x2, y1, c21); c22 = MicroKernels.Fma(x2, y2, c22); c23 = MicroKernels.Fma(x2, y3, c23);
            c30 = MicroKernels.Fma(x3, y0, c30); c31 = MicroKernels.Fma(x3, y1, c31); c32 = MicroKernels.Fma(x3, y2, c32); c33 = MicroKernels.Fma(x3, y3, c33);
        }
        Put4(c, cs, c00, c01, c02, c03, accumulate); c += ldc;
        Put4(c, cs, c10, c11, c12, c13, accumulate); c += ldc;
        Put4(c, cs, c20, c21, c22, c23, accumulate); c += ldc;
        Put4(c, cs, c30, c31, c32, c33, accumulate);
    }

    // output[q·os] (+)= horizontal sum of s_q, q < 4. The four sums are reduced together (halving lanes with
    // cross-vector shuffles), about a quarter of the instructions of four separate Vector512.Sum calls.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put4<T>(T* output, nint os, Vector512<T> s0, Vector512<T> s1, Vector512<T> s2, Vector512<T> s3, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var sums = Sum4(s0.AsSingle(), s1.AsSingle(), s2.AsSingle(), s3.AsSingle());
            float* o = (float*)output;
            if (os == 1)
            {
                if (accumulate) sums += Vector128.Load(o);
                sums.Store(o);
            }
            else for (int q = 0; q < 4; q++) o[q * os] = accumulate ? o[q * os] + sums[q] : sums[q];
        }
        else if (typeof(T) == typeof(double))
        {
            var sums = Sum4(s0.AsDouble(), s1.AsDouble(), s2.AsDouble(), s3.AsDouble());
            double* o = (double*)output;
            if (os == 1)
            {
                if (accumulate) sums += Vector256.Load(o);
                sums.Store(o);
            }
            else for (int q = 0; q < 4; q++) o[q * os] = accumulate ? o[q * os] + sums[q] : sums[q];
        }
        else throw new NotSupportedException(typeof(T).Name);
    }

    private static readonly Vector512<int> FirstOfEachLane = Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    private static readonly Vector512<long> FirstOfEachPair = Vector512.Create(0L, 2, 4, 6, 0, 0, 0, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        // Halves of a beside halves of b, then quarters: w's 128-bit lane q holds four partial sums of the q-th input.
        var ab = Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);
        var cd = Avx512F.Shuffle4x128(c, d, 0x44) + Avx512F.Shuffle4x128(c, d, 0xEE);
        var w = Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);
        w += Avx512F.Shuffle(w, w, 0xB1); // swap neighbours
        w += Avx512F.Shuffle(w, w, 0x4E); // swap pairs: every element of lane q is now the total
        return Avx512F.PermuteVar16x32(w, FirstOfEachLane).GetLower().GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Sum4(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> d)
    {
        var ab = Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);
        var cd = Avx512F.Shuffle4x128(c, d, 0x44) + Avx512F.Shuffle4x128(c, d, 0xEE);
        var w = Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);
        w += Avx512F.Shuffle(w, w, 0x55); // swap the two doubles of each lane
        return Avx512F.PermuteVar8x64(w, FirstOfEachPair).GetLower();
    }
}
