using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// Micro-kernels for the ragged edge tiles of C: <c>rows</c> &lt; MR rows and/or fewer columns than the panel.
/// Only the real rows are computed (a 10-row C would otherwise pay for 16). On AVX-512, C is read and written through
/// column masks, straight in place, instead of through a scratch tile; on AVX2, tiles of whole column panels are written
/// in place. One generic body per panel width: the row count is a type argument, so each instantiation is compiled
/// with the unused rows' code removed.
/// </summary>
internal static unsafe class EdgeKernels
{
    /// <summary>C[rows × cols] (+)= A panel · B panel for a wide (2-vector) panel, cols ≤ 2 vectors.</summary>
    public static void Wide<T>(int rows, int cols, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (rows)
        {
            case 1: Kernel<T, R1, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 2: Kernel<T, R2, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 3: Kernel<T, R3, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 4: Kernel<T, R4, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 5: Kernel<T, R5, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 6: Kernel<T, R6, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 7: Kernel<T, R7, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
            default: Kernel<T, R8, Two>(cols, kc, a, b, ldb, c, ldc, load); break;
        }
    }

    /// <summary>C[rows × cols] (+)= A panel · B panel for a narrow (1-vector) panel, cols ≤ 1 vector.</summary>
    public static void Narrow<T>(int rows, int cols, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (rows)
        {
            case 1: Kernel<T, R1, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 2: Kernel<T, R2, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 3: Kernel<T, R3, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 4: Kernel<T, R4, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 5: Kernel<T, R5, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 6: Kernel<T, R6, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            case 7: Kernel<T, R7, One>(cols, kc, a, b, ldb, c, ldc, load); break;
            default: Kernel<T, R8, One>(cols, kc, a, b, ldb, c, ldc, load); break;
        }
    }

    // The A panel is the packed MR = 8 layout whatever the row count (rows past `rows` are padding, never read here).
    private static void Kernel<T, TRows, TVectors>(int cols, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : struct, ICount where TVectors : struct, ICount
    {
        nint v = Vector512<T>.Count;
        int rows = TRows.Value;
        bool two = TVectors.Value == 2;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (; kc > 0; kc--)
        {
            var b0 = Vector512.Load(b);
            var b1 = two ? Vector512.Load(b + v) : default;
            var a0 = Vector512.Create(a[0]); c00 = MicroKernels.Fma(a0, b0, c00); if (two) c01 = MicroKernels.Fma(a0, b1, c01);
            if (rows > 1) { var a1 = Vector512.Create(a[1]); c10 = MicroKernels.Fma(a1, b0, c10); if (two) c11 = MicroKernels.Fma(a1, b1, c11); }
            if (rows > 2) { var a2 = Vector512.Create(a[2]); c20 = MicroKernels.Fma(a2, b0, c20); if (two) c21 = MicroKernels.Fma(a2, b1, c21); }
            if (rows > 3) { var a3 = Vector512.Create(a[3]); c30 = MicroKernels.Fma(a3, b0, c30); if (two) c31 = MicroKernels.Fma(a3, b1, c31); }
            if (rows > 4) { var a4 = Vector512.Create(a[4]); c40 = MicroKernels.Fma(a4, b0, c40); if (two) c41 = MicroKernels.Fma(a4, b1, c41); }
            if (rows > 5) { var a5 = Vector512.Create(a[5]); c50 = MicroKernels.Fma(a5, b0, c50); if (two) c51 = MicroKernels.Fma(a5, b1, c51); }
            if (rows > 6) { var a6 = Vector512.Create(a[6]); c60 = MicroKernels.Fma(a6, b0, c60); if (two) c61 = MicroKernels.Fma(a6, b1, c61); }
            if (rows > 7) { var a7 = Vector512.Create(a[7]); c70 = MicroKernels.Fma(a7, b0, c70); if (two) c71 = MicroKernels.Fma(a7, b1, c71); }
            a += 8; b += ldb;
        }
        // Column masks: the first vector covers min(cols, v) columns, the second the rest (none for a narrow panel).
        int first = (int)Math.Min(cols, v);
        var m0 = Masked.FirstLanes<T>(first);
        var m1 = Masked.FirstLanes<T>(cols - first);
        Row(c, c00, c01, m0, m1, two, load); c += ldc;
        if (rows > 1) { Row(c, c10, c11, m0, m1, two, load); c += ldc; }
        if (rows > 2) { Row(c, c20, c21, m0, m1, two, load); c += ldc; }
        if (rows > 3) { Row(c, c30, c31, m0, m1, two, load); c += ldc; }
        if (rows > 4) { Row(c, c40, c41, m0, m1, two, load); c += ldc; }
        if (rows > 5) { Row(c, c50, c51, m0, m1, two, load); c += ldc; }
        if (rows > 6) { Row(c, c60, c61, m0, m1, two, load); c += ldc; }
        if (rows > 7) Row(c, c70, c71, m0, m1, two, load);
    }

    // load = false overwrites C without reading it (garbage, even NaN, must not leak in).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<T>(T* c, Vector512<T> v0, Vector512<T> v1, Vector512<T> m0, Vector512<T> m1, bool two, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (load) v0 += Masked.Load(c, m0);
        Masked.Store(c, m0, v0);
        if (!two) return;
        T* c1 = c + Vector512<T>.Count;
        if (load) v1 += Masked.Load(c1, m1);
        Masked.Store(c1, m1, v1);
    }

    /// <summary>AVX2: C[rows × (1 or 2 vectors)] (+)= A panel (MR = 6 layout) · B panel, rows &lt; 6, whole vectors stored
    /// (AVX2 has no cheap masked store: a ragged column panel is run into a scratch tile by the caller).</summary>
    public static void Avx2<T>(int rows, bool wide, nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch ((rows, wide))
        {
            case (1, true): Avx2Kernel<T, R1, Two>(kc, a, b, ldb, c, ldc, load); break;
            case (2, true): Avx2Kernel<T, R2, Two>(kc, a, b, ldb, c, ldc, load); break;
            case (3, true): Avx2Kernel<T, R3, Two>(kc, a, b, ldb, c, ldc, load); break;
            case (4, true): Avx2Kernel<T, R4, Two>(kc, a, b, ldb, c, ldc, load); break;
            case (_, true): Avx2Kernel<T, R5, Two>(kc, a, b, ldb, c, ldc, load); break;
            case (1, false): Avx2Kernel<T, R1, One>(kc, a, b, ldb, c, ldc, load); break;
            case (2, false): Avx2Kernel<T, R2, One>(kc, a, b, ldb, c, ldc, load); break;
            case (3, false): Avx2Kernel<T, R3, One>(kc, a, b, ldb, c, ldc, load); break;
            case (4, false): Avx2Kernel<T, R4, One>(kc, a, b, ldb, c, ldc, load); break;
            default: Avx2Kernel<T, R5, One>(kc, a, b, ldb, c, ldc, load); break;
        }
    }

    private static void Avx2Kernel<T, TRows, TVectors>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : struct, ICount where TVectors : struct, ICount
    {
        nint v = Vector256<T>.Count;
        int rows = TRows.Value;
        bool two = TVectors.Value == 2;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default;
        for (; kc > 0; kc--)
        {
            var b0 = Vector256.Load(b);
            var b1 = two ? Vector256.Load(b + v) : default;
            var a0 = Vector256.Create(a[0]); c00 = MicroKernels.Fma(a0, b0, c00); if (two) c01 = MicroKernels.Fma(a0, b1, c01);
            if (rows > 1) { var a1 = Vector256.Create(a[1]); c10 = MicroKernels.Fma(a1, b0, c10); if (two) c11 = MicroKernels.Fma(a1, b1, c11); }
            if (rows > 2) { var a2 = Vector256.Create(a[2]); c20 = MicroKernels.Fma(a2, b0, c20); if (two) c21 = MicroKernels.Fma(a2, b1, c21); }
            if (rows > 3) { var a3 = Vector256.Create(a[3]); c30 = MicroKernels.Fma(a3, b0, c30); if (two) c31 = MicroKernels.Fma(a3, b1, c31); }
            if (rows > 4) { var a4 = Vector256.Create(a[4]); c40 = MicroKernels.Fma(a4, b0, c40); if (two) c41 = MicroKernels.Fma(a4, b1, c41); }
            a += 6; b += ldb;
        }
        Row(c, c00, c01, two, load); c += ldc;
        if (rows > 1) { Row(c, c10, c11, two, load); c += ldc; }
        if (rows > 2) { Row(c, c20, c21, two, load); c += ldc; }
        if (rows > 3) { Row(c, c30, c31, two, load); c += ldc; }
        if (rows > 4) Row(c, c40, c41, two, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<T>(T* c, Vector256<T> v0, Vector256<T> v1, bool two, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (load) v0 += Vector256.Load(c);
        v0.Store(c);
        if (!two) return;
        T* c1 = c + Vector256<T>.Count;
        if (load) v1 += Vector256.Load(c1);
        v1.Store(c1);
    }

    private struct One : ICount { public static int Value => 1; }
    private struct Two : ICount { public static int Value => 2; }
}

/// <summary>A compile-time integer: a type argument the JIT folds into a constant.</summary>
internal interface ICount { static abstract int Value { get; } }

// Row counts of register tiles, shared by the edge kernels and the broadcast tiles.
internal struct R1 : ICount { public static int Value => 1; }
internal struct R2 : ICount { public static int Value => 2; }
internal struct R3 : ICount { public static int Value => 3; }
internal struct R4 : ICount { public static int Value => 4; }
internal struct R5 : ICount { public static int Value => 5; }
internal struct R6 : ICount { public static int Value => 6; }
internal struct R7 : ICount { public static int Value => 7; }
internal struct R8 : ICount { public static int Value => 8; }
internal struct R9 : ICount { public static int Value => 9; }
internal struct R10 : ICount { public static int Value => 10; }
internal struct R11 : ICount { public static int Value => 11; }
internal struct R12 : ICount { public static int Value => 12; }
