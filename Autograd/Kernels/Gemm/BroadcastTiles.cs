using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// GEMM with B not transposed, read in place: a tile of C (up to 12 rows × 2 vectors, or 8 rows × 3 vectors) stays in
/// registers for the whole k loop while each step broadcasts one A value per row against one row of B, and C is stored
/// once. Nothing of B is packed, and all rows of a block share one pass over B. Two network products are why:
/// dX = dY·W of a 10-class layer (k = 10: the blocked path spends as long on tile set-up and C traffic as on 10
/// multiply-adds per element) and dW = dYᵀ·X (m = 10: the blocked path runs an 8-row panel and a 2-row edge panel,
/// each streaming all of X from L2). AVX-512 only; column edges are masked loads and stores, so any n works.
/// </summary>
internal static unsafe class BroadcastTiles
{
    /// <summary>Rows of C up to which one block holds them all (12 rows × 2 vectors = 24 of the 32 zmm registers).</summary>
    public const int MaxRows = 12;

    // Taller C runs in blocks of at most 8 rows × 3 vectors (24 accumulators): fewer broadcasts per FMA than 12 × 2,
    // measured 3–7 % faster on 64 rows with k = 10–64, and level with the blocked path on a 64×196 C (k = 10) where
    // 12 × 2 was 10 % slower.
    private const int TallRows = 8;

    // Rows are taken in chunks whose packed A (≤ 16 KB) stays in L1 and whose C (≤ 256 KB) stays in L2 while every
    // column block passes over them; without the C bound a 1000×784 C (k = 10) ran 1.8× slower.
    private const int ChunkABytes = 16 * 1024;
    private const long ChunkCBytes = 256 * 1024;

    /// <summary>C[m×n] (+)= op(A)·B, B stored k×n with row stride <paramref name="ldb"/>; op(A) as in <see cref="Gemm"/>.</summary>
    // A kernel root, never inlined: see DotTiles.Run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run<T>(bool transA, int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool tall = m > MaxRows;
        int vectors = tall ? 3 : 2;
        // Balanced row blocks: 20 rows run as 7, 7, 6 rather than 8, 8, 4, whose thin block would pay a full pass over B.
        int rows = DivUp(m, DivUp(m, tall ? TallRows : MaxRows));
        // op(A)(i + r, p) for a block's rows sits at ap[p·astride + r]: A itself when transposed (one step's values are
        // contiguous), otherwise A packed once into that layout, a panel of `rows` rows at a time.
        T* packed = a;
        nint astride = lda;
        if (!transA)
        {
            packed = GemmDriver<T>.PackABuffer((nint)DivUp(m, rows) * rows * k);
            Packing.PackA(a, lda, false, m, k, rows, packed);
            astride = rows;
        }
        // Whole vectors of the larger of B and C (the one streaming from L2) start on cache lines: a 64-byte access across
        // two lines costs two. The first block then starts before column 0, its leading lanes masked off.
        int v = Vector512<T>.Count, width = vectors * v;
        T* anchor = k >= m ? b : c;
        int head = (int)(((-(nint)anchor) & 63) / sizeof(T));
        int start = head > 0 && head < n ? head - v : 0;
        long chunkLimit = Math.Min(ChunkABytes / ((long)k * sizeof(T)), ChunkCBytes / ((long)n * sizeof(T)));
        int chunk = (int)Math.Max(rows, Math.Min(m, chunkLimit) / rows * rows);
        for (int i0 = 0; i0 < m; i0 += chunk)
        {
            int chunkEnd = Math.Min(m, i0 + chunk);
            for (int q = start; q < n; q += width)
            {
                bool whole = q >= 0 && q + width <= n;
                var masks = whole ? default : new ColumnMasks<T>(q, n);
                // An edge block runs only the vectors that reach into [0, n).
                int used = whole ? vectors : Math.Min(vectors, DivUp(n - q, v));
                for (int i = i0; i < chunkEnd; i += rows)
                {
                    int r = Math.Min(rows, chunkEnd - i);
                    T* ap = transA ? a + i : packed + (nint)i * k;
                    T* cp = c + i * ldc + q;
                    switch (used)
                    {
                        case 1: Tile<T, V1>(r, whole, k, ap, astride, b + q, ldb, cp, ldc, masks, accumulate); break;
                        case 2: Tile<T, V2>(r, whole, k, ap, astride, b + q, ldb, cp, ldc, masks, accumulate); break;
                        default: Tile<T, V3>(r, whole, k, ap, astride, b + q, ldb, cp, ldc, masks, accumulate); break;
                    }
                }
            }
        }
    }

    private static void Tile<T, TVectors>(int rows, bool whole, nint k, T* a, nint astride, T* b, nint ldb, T* c, nint ldc,
        in ColumnMasks<T> masks, bool load)
        where T : unmanaged, IFloatingPointIeee754<T> where TVectors : struct, ICount
    {
        if (whole) Rows<T, TVectors, Whole>(rows, k, a, astride, b, ldb, c, ldc, masks, load);
        else Rows<T, TVectors, Edge>(rows, k, a, astride, b, ldb, c, ldc, masks, load);
    }

    private static void Rows<T, TVectors, TEdge>(int rows, nint k, T* a, nint astride, T* b, nint ldb, T* c, nint ldc,
        in ColumnMasks<T> masks, bool load)
        where T : unmanaged, IFloatingPointIeee754<T> where TVectors : struct, ICount where TEdge : struct, ICount
    {
        switch (rows)
        {
            case 1: Kernel<T, R1, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 2: Kernel<T, R2, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 3: Kernel<T, R3, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 4: Kernel<T, R4, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 5: Kernel<T, R5, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 6: Kernel<T, R6, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 7: Kernel<T, R7, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 8: Kernel<T, R8, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 9: Kernel<T, R9, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 10: Kernel<T, R10, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            case 11: Kernel<T, R11, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
            default: Kernel<T, R12, TVectors, TEdge>(k, a, astride, b, ldb, c, ldc, masks, load); break;
        }
    }

    // C[TRows × TVectors·v] (+)= Σₚ a[p·astride + r] · b[p·ldb + x]. Rows, vectors and masking are type arguments, so
    // each instantiation keeps only its own accumulators and the untaken branches compile away. Run never pairs more
    // than 8 rows with 3 vectors, so at most 24 accumulators are live.
    private static void Kernel<T, TRows, TVectors, TEdge>(nint k, T* a, nint astride, T* b, nint ldb, T* c, nint ldc,
        in ColumnMasks<T> masks, bool load)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : struct, ICount where TVectors : struct, ICount where TEdge : struct, ICount
    {
        nint v = Vector512<T>.Count;
        int rows = TRows.Value, vecs = TVectors.Value;
        bool edge = TEdge.Value != 0;
        var m0 = masks.M0; var m1 = masks.M1; var m2 = masks.M2;
        Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<T> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        Vector512<T> c80 = default, c81 = default, c82 = default, c90 = default, c91 = default, c92 = default;
        Vector512<T> cA0 = default, cA1 = default, cA2 = default, cB0 = default, cB1 = default, cB2 = default;
        for (; k > 0; k--)
        {
            Vector512<T> b0, b1 = default, b2 = default;
            if (edge)
            {
                b0 = Masked.Load(b, m0);
                if (vecs > 1) b1 = Masked.Load(b + v, m1);
                if (vecs > 2) b2 = Masked.Load(b + 2 * v, m2);
            }
            else
            {
                b0 = Vector512.Load(b);
                if (vecs > 1) b1 = Vector512.Load(b + v);
                if (vecs > 2) b2 = Vector512.Load(b + 2 * v);
            }
            Step(a, b0, b1, b2, ref c00, ref c01, ref c02, vecs);
            if (rows > 1) Step(a + 1, b0, b1, b2, ref c10, ref c11, ref c12, vecs);
            if (rows > 2) Step(a + 2, b0, b1, b2, ref c20, ref c21, ref c22, vecs);
            if (rows > 3) Step(a + 3, b0, b1, b2, ref c30, ref c31, ref c32, vecs);
            if (rows > 4) Step(a + 4, b0, b1, b2, ref c40, ref c41, ref c42, vecs);
            if (rows > 5) Step(a + 5, b0, b1, b2, ref c50, ref c51, ref c52, vecs);
            if (rows > 6) Step(a + 6, b0, b1, b2, ref c60, ref c61, ref c62, vecs);
            if (rows > 7) Step(a + 7, b0, b1, b2, ref c70, ref c71, ref c72, vecs);
            if (rows > 8) Step(a + 8, b0, b1, b2, ref c80, ref c81, ref c82, vecs);
            if (rows > 9) Step(a + 9, b0, b1, b2, ref c90, ref c91, ref c92, vecs);
            if (rows > 10) Step(a + 10, b0, b1, b2, ref cA0, ref cA1, ref cA2, vecs);
            if (rows > 11) Step(a + 11, b0, b1, b2, ref cB0, ref cB1, ref cB2, vecs);
            a += astride; b += ldb;
        }
        Put(c, c00, c01, c02, vecs, edge, m0, m1, m2, load);
        if (rows > 1) Put(c += ldc, c10, c11, c12, vecs, edge, m0, m1, m2, load);
        if (rows > 2) Put(c += ldc, c20, c21, c22, vecs, edge, m0, m1, m2, load);
        if (rows > 3) Put(c += ldc, c30, c31, c32, vecs, edge, m0, m1, m2, load);
        if (rows > 4) Put(c += ldc, c40, c41, c42, vecs, edge, m0, m1, m2, load);
        if (rows > 5) Put(c += ldc, c50, c51, c52, vecs, edge, m0, m1, m2, load);
        if (rows > 6) Put(c += ldc, c60, c61, c62, vecs, edge, m0, m1, m2, load);
        if (rows > 7) Put(c += ldc, c70, c71, c72, vecs, edge, m0, m1, m2, load);
        if (rows > 8) Put(c += ldc, c80, c81, c82, vecs, edge, m0, m1, m2, load);
        if (rows > 9) Put(c += ldc, c90, c91, c92, vecs, edge, m0, m1, m2, load);
        if (rows > 10) Put(c += ldc, cA0, cA1, cA2, vecs, edge, m0, m1, m2, load);
        if (rows > 11) Put(c += ldc, cB0, cB1, cB2, vecs, edge, m0, m1, m2, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<T>(T* x, Vector512<T> b0, Vector512<T> b1, Vector512<T> b2,
        ref Vector512<T> c0, ref Vector512<T> c1, ref Vector512<T> c2, int vecs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Dereferencing here, not at the call site, lets the JIT fold the read into one broadcast load
        // (vbroadcastss zmm, m32); a scalar argument became a load plus a shuffle on the port the FMAs need.
        var s = Vector512.Create(*x);
        c0 = MicroKernels.Fma(s, b0, c0);
        if (vecs > 1) c1 = MicroKernels.Fma(s, b1, c1);
        if (vecs > 2) c2 = MicroKernels.Fma(s, b2, c2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(T* c, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, int vecs, bool edge,
        Vector512<T> m0, Vector512<T> m1, Vector512<T> m2, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        Store(c, v0, edge, m0, load);
        if (vecs > 1) Store(c + v, v1, edge, m1, load);
        if (vecs > 2) Store(c + 2 * v, v2, edge, m2, load);
    }

    // load = false overwrites C without reading it (garbage, even NaN, must not leak in).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, Vector512<T> value, bool edge, Vector512<T> mask, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (edge)
        {
            if (load) value += Masked.Load(c, mask);
            Masked.Store(c, mask, value);
        }
        else
        {
            if (load) value += Vector512.Load(c);
            value.Store(c);
        }
    }

    private static int DivUp(int x, int y) => (x + y - 1) / y;

    // Lanes of a block of three vectors starting at column q (possibly negative) that fall inside [0, n).
    private readonly struct ColumnMasks<T> where T : unmanaged
    {
        public readonly Vector512<T> M0, M1, M2;

        public ColumnMasks(int q, int n)
        {
            int v = Vector512<T>.Count;
            M0 = Lanes(q, n); M1 = Lanes(q + v, n); M2 = Lanes(q + 2 * v, n);
        }

        private static Vector512<T> Lanes(int q, int n)
        {
            int v = Vector512<T>.Count;
            return Masked.FirstLanes<T>(Math.Clamp(n - q, 0, v)) & ~Masked.FirstLanes<T>(Math.Clamp(-q, 0, v));
        }
    }

    private struct Whole : ICount { public static int Value => 0; }
    private struct Edge : ICount { public static int Value => 1; }
    private struct V1 : ICount { public static int Value => 1; }
    private struct V2 : ICount { public static int Value => 2; }
    private struct V3 : ICount { public static int Value => 3; }
}
