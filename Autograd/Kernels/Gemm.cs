using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Autograd.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: C[m×n] = op(A)·op(B), or C += op(A)·op(B) when
/// <c>accumulate</c>. op(A) is A (m×k, row length k) or, with <c>transA</c>, Aᵀ where A is stored k×m.
/// Likewise op(B) is B (k×n) or, with <c>transB</c>, Bᵀ where B is stored n×k. Transposes are never materialized:
/// the packing routines read either layout directly.
/// </summary>
internal static class Gemm
{
    // A second thread halves the arithmetic but costs hand-overs to a helper that is usually still spinning (well under
    // a microsecond each; the blocked kernel has two, packing the shared operand and then the stripes) and the wait for
    // the slower part. Below ParallelMinWork multiply-adds per thread (a few microseconds of work) those costs are
    // a sizeable share, and a helper descheduled while it holds a part costs more than the split can give; measured per
    // shape with `Autograd.Benchmarks --threads` (docs/BENCHMARKS.md).
    private const long ParallelMinWork = 1L << 19;

    // A part also needs enough of C: a product whose C is small against its k (the 10×196 C of a 196→10 layer's weight
    // gradient at batch 1000) is slower split, its stripes only a few tiles wide; the threshold sits below the smallest
    // C that still gained (`--threads gemm`, figures in docs/BENCHMARKS.md, "Two threads").
    private const long ParallelMinOutput = 1L << 10;

    // 0 = not forced, else the forced GemmIsa + 1: a plain int reads inline, a GemmIsa? thread static did not (1 % of a batch-1 step).
    [ThreadStatic] private static int _forcedIsaPlusOne;

    /// <summary>Kernel family for calls on this thread; tests lower it to cover the AVX2 and scalar paths.</summary>
    internal static GemmIsa Isa
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int forced = _forcedIsaPlusOne;
            return forced == 0 ? GemmDriver<float>.BestIsa : (GemmIsa)(forced - 1);
        }
        set => _forcedIsaPlusOne = (int)value + 1;
    }

    /// <summary>C[m×n] = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/>.</summary>
    /// <param name="transA">A is stored k×m and op(A) = Aᵀ; otherwise A is stored m×k.</param>
    /// <param name="transB">B is stored n×k and op(B) = Bᵀ; otherwise B is stored k×n.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">At least m·k elements.</param>
    /// <param name="b">At least k·n elements.</param>
    /// <param name="c">At least m·n elements; only the first m·n are written.</param>
    /// <param name="accumulate">Add to C instead of overwriting it (an overwritten C is never read, so it may hold garbage).</param>
    // Never inlined: a dispatcher that PGO inlined into an op brought its whole decision tree and its messages along
    // (Linear grew to 7 KB of code with a 920-byte frame, zeroed on every call); one call costs a nanosecond.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0 || a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            ThrowBadSizes(m, n, k, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        var isa = Isa;
        fixed (T* pa = a, pb = b, pc = c)
        {
            nint lda = transA ? m : k, ldb = transB ? k : n;
            if ((long)m * n * k <= TinyWork)
            {
                Tiny(transA, transB, m, n, k, pa, pb, pc, accumulate);
                return;
            }
            // k = 1: C is an outer product of two contiguous vectors (whatever the transposes); a column C is a 1×m row.
            if (k == 1)
            {
                if (n == 1) Gemv.Outer(isa, 1, m, pb, pa, pc, m, accumulate);
                else Gemv.Outer(isa, m, n, pa, pb, pc, n, accumulate);
                return;
            }
            // A single column or row of C: both layouts of the vector operand are contiguous, so it is a matrix-vector product.
            if (n == 1)
            {
                if (transA) Gemv.RowCombination(isa, k, m, pb, pa, lda, pc, accumulate);
                else Gemv.Dots(isa, m, k, pb, pa, lda, pc, 1, accumulate);
                return;
            }
            if (m == 1)
            {
                if (transB) Gemv.Dots(isa, n, k, pa, pb, ldb, pc, 1, accumulate);
                else Gemv.RowCombination(isa, k, n, pa, pb, ldb, pc, accumulate);
                return;
            }
            // The kernel is chosen from the shape alone; a second thread runs stripes of that same kernel, so the bits
            // do not depend on the thread count.
            int threads = Threads((long)m * n * k, (long)m * n);
            if (isa == GemmIsa.Avx512 && !transB && UseBroadcastTiles<T>(m, n, k, accumulate))
            {
                if (threads == 1 || !GemmJob<T>.TryRun(StripeKernel.BroadcastTiles, isa, threads, transA, transB, m, n, k, pa, lda, pb, ldb, pc, accumulate))
                    BroadcastTiles.Run(transA, m, n, k, pa, lda, pb, ldb, pc, n, accumulate);
                return;
            }
            if (isa == GemmIsa.Avx512 && !transA && transB && UseDotTiles<T>(m, n, k))
            {
                if (threads == 1 || !GemmJob<T>.TryRun(StripeKernel.DotTiles, isa, threads, transA, transB, m, n, k, pa, lda, pb, ldb, pc, accumulate))
                    DotTiles.Run(m, n, k, pa, lda, pb, ldb, pc, n, 1, accumulate, DotTiles.AlignA(m, n));
                return;
            }
            if (threads > 1 && GemmJob<T>.TryRun(StripeKernel.Blocked, isa, threads, transA, transB, m, n, k, pa, lda, pb, ldb, pc, accumulate)) return;
            GemmDriver<T>.Run(isa, transA, transB, m, n, k, pa, lda, pb, ldb, pc, n, accumulate);
        }
    }

    // As many threads as the setting and the cores allow, but no more than give each part ParallelMinWork multiply-adds
    // and ParallelMinOutput elements of C.
    private static int Threads(long work, long outputs)
    {
        int allowed = Math.Min(Threading.MaxThreads, Environment.ProcessorCount);
        return allowed == 1 ? 1 : (int)Math.Clamp(Math.Min(work / ParallelMinWork, outputs / ParallelMinOutput), 1, allowed);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSizes(int m, int n, int k, int a, int b, int c)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: negative size m={m} n={n} k={k}.");
        throw new ArgumentException($"Gemm: spans too short for m={m} n={n} k={k} (A {a}, B {b}, C {c}).");
    }

    // B not transposed, with few rows of C or a short k: register tiles reading B in place (BroadcastTiles) against the
    // blocked path, measured (AVX-512, float, mostly 784 columns): m ≤ 12 wins at every k tried (10×784×64: 1.5×, ×1000:
    // 1.3×; at 30 rows and k = 1000 it lost 20 %). For taller C up to 1 MB, k = 10–32 wins 1.1–1.5× and k = 64 2–8 %.
    // Beyond L2 (1000×784) it wins at k ≤ 16 when C is overwritten (k = 10: 1.3–1.5×) but is level or slower from k = 32,
    // and accumulating there lost 5–20 %: the blocked path's row-by-row reads of C prefetch better.
    internal static unsafe bool UseBroadcastTiles<T>(int m, int n, int k, bool accumulate) where T : unmanaged =>
        m <= BroadcastTiles.MaxRows || (k <= 64 && (long)m * n * sizeof(T) <= 1 << 20) || (k <= 16 && !accumulate);

    // x·Wᵀ with a narrow side: packing the wide operand (a transposing copy) costs about as much as the arithmetic,
    // while dot products read both in place; but each output pays a horizontal sum, amortized over k. Measured
    // (AVX-512, float, 64 rows): n = 10 wins from k = 64; n = 16–32 only from k ≈ 192 (at k = 64 packing is 1.6× faster).
    private static bool UseDotTiles<T>(int m, int n, int k) where T : unmanaged
    {
        int narrow = Math.Min(m, n), vectors = k / System.Runtime.Intrinsics.Vector512<T>.Count;
        return narrow <= 12 ? vectors >= 4 : narrow <= 32 && vectors >= 12;
    }

    // At or below this many multiply-adds (measured: 4×8×8 yes, 8×8×8 no) packing and tile set-up cost more than the
    // arithmetic, and a plain dot-product loop wins.
    internal const long TinyWork = 256;

    internal static unsafe void Tiny<T>(bool transA, bool transB, int m, int n, int k, T* a, T* b, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // op(A)(i,p) = a[i·aRow + p·aCol], op(B)(p,j) = b[p·bRow + j·bCol]: one loop serves all four layouts.
        nint aRow = transA ? 1 : k, aCol = transA ? m : 1, bRow = transB ? 1 : n, bCol = transB ? k : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                T* ap = a + i * aRow, bp = b + j * bCol;
                for (int p = 0; p < k; p++, ap += aCol, bp += bRow) sum += *ap * *bp;
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
    }
}
