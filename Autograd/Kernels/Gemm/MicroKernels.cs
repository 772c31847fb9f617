using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// GEMM micro-kernels: C[MR×NR] (+)= Apanel · Bpanel. A panel (always packed): for each p, MR consecutive values,
/// one per row. B panel: for each p, NR consecutive values (one per column), successive p <c>ldb</c> apart — the
/// panel width when packed, or B's own row length when read in place. Accumulators stay in registers for the
/// whole k loop, which is what makes the blocked GEMM fast; C is touched once per call (<c>load</c>: add to it).
/// One generic body serves float and double: the typeof tests in <see cref="Fma{T}(Vector512{T},Vector512{T},Vector512{T})"/>
/// are JIT-time constants, so each instantiation compiles to a single FMA instruction.
/// </summary>
internal static unsafe class MicroKernels
{
    /// <summary>8 rows × 2 vectors (16 zmm accumulators of 32, so nothing spills).</summary>
    public static void Avx512Wide<T>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint v = Vector512<T>.Count;
        var c00 = Vector512<T>.Zero; var c01 = Vector512<T>.Zero;
        var c10 = Vector512<T>.Zero; var c11 = Vector512<T>.Zero;
        var c20 = Vector512<T>.Zero; var c21 = Vector512<T>.Zero;
        var c30 = Vector512<T>.Zero; var c31 = Vector512<T>.Zero;
        var c40 = Vector512<T>.Zero; var c41 = Vector512<T>.Zero;
        var c50 = Vector512<T>.Zero; var c51 = Vector512<T>.Zero;
        var c60 = Vector512<T>.Zero; var c61 = Vector512<T>.Zero;
        var c70 = Vector512<T>.Zero; var c71 = Vector512<T>.Zero;
        for (; kc > 0; kc--)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + v);
            var a0 = Vector512.Create(a[0]); c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01);
            var a1 = Vector512.Create(a[1]); c10 = Fma(a1, b0, c10); c11 = Fma(a1, b1, c11);
            var a2 = Vector512.Create(a[2]); c20 = Fma(a2, b0, c20); c21 = Fma(a2, b1, c21);
            var a3 = Vector512.Create(a[3]); c30 = Fma(a3, b0, c30); c31 = Fma(a3, b1, c31);
            var a4 = Vector512.Create(a[4]); c40 = Fma(a4, b0, c40); c41 = Fma(a4, b1, c41);
            var a5 = Vector512.Create(a[5]); c50 = Fma(a5, b0, c50); c51 = Fma(a5, b1, c51);
            var a6 = Vector512.Create(a[6]); c60 = Fma(a6, b0, c60); c61 = Fma(a6, b1, c61);
            var a7 = Vector512.Create(a[7]); c70 = Fma(a7, b0, c70); c71 = Fma(a7, b1, c71);
            a += 8; b += ldb;
        }
        Update(c, c00, load); Update(c + v, c01, load); c += ldc;
        Update(c, c10, load); Update(c + v, c11, load); c += ldc;
        Update(c, c20, load); Update(c + v, c21, load); c += ldc;
        Update(c, c30, load); Update(c + v, c31, load); c += ldc;
        Update(c, c40, load); Update(c + v, c41, load); c += ldc;
        Update(c, c50, load); Update(c + v, c51, load); c += ldc;
        Update(c, c60, load); Update(c + v, c61, load); c += ldc;
        Update(c, c70, load); Update(c + v, c71, load);
    }

    /// <summary>8 rows × 1 vector: the last column panel when at most one vector of columns is left.</summary>
    public static void Avx512Narrow<T>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint v = Vector512<T>.Count;
        var c00 = Vector512<T>.Zero;
        var c10 = Vector512<T>.Zero;
        var c20 = Vector512<T>.Zero;
        var c30 = Vector512<T>.Zero;
        var c40 = Vector512<T>.Zero;
        var c50 = Vector512<T>.Zero;
        var c60 = Vector512<T>.Zero;
        var c70 = Vector512<T>.Zero;
        for (; kc > 0; kc--)
        {
            var b0 = Vector512.Load(b);
            var a0 = Vector512.Create(a[0]); c00 = Fma(a0, b0, c00);
            var a1 = Vector512.Create(a[1]); c10 = Fma(a1, b0, c10);
            var a2 = Vector512.Create(a[2]); c20 = Fma(a2, b0, c20);
            var a3 = Vector512.Create(a[3]); c30 = Fma(a3, b0, c30);
            var a4 = Vector512.Create(a[4]); c40 = Fma(a4, b0, c40);
            var a5 = Vector512.Create(a[5]); c50 = Fma(a5, b0, c50);
            var a6 = Vector512.Create(a[6]); c60 = Fma(a6, b0, c60);
            var a7 = Vector512.Create(a[7]); c70 = Fma(a7, b0, c70);
            a += 8; b += ldb;
        }
        Update(c, c00, load); c += ldc;
        Update(c, c10, load); c += ldc;
        Update(c, c20, load); c += ldc;
        Update(c, c30, load); c += ldc;
        Update(c, c40, load); c += ldc;
        Update(c, c50, load); c += ldc;
        Update(c, c60, load); c += ldc;
        Update(c, c70, load);
    }

    /// <summary>6 rows × 2 vectors (12 ymm accumulators of 16).</summary>
    public static void Avx2Wide<T>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint v = Vector256<T>.Count;
        var c00 = Vector256<T>.Zero; var c01 = Vector256<T>.Zero;
        var c10 = Vector256<T>.Zero; var c11 = Vector256<T>.Zero;
        var c20 = Vector256<T>.Zero; var c21 = Vector256<T>.Zero;
        var c30 = Vector256<T>.Zero; var c31 = Vector256<T>.Zero;
        var c40 = Vector256<T>.Zero; var c41 = Vector256<T>.Zero;
        var c50 = Vector256<T>.Zero; var c51 = Vector256<T>.Zero;
        // Two k steps per iteration: with 256-bit vectors a step is half the work of an AVX-512 one, and the loop's own
        // instructions (pointer steps, count, branch) took a measurable share of the issue slots.
        for (; kc > 1; kc -= 2)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + v);
            var a0 = Vector256.Create(a[0]); c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01);
            var a1 = Vector256.Create(a[1]); c10 = Fma(a1, b0, c10); c11 = Fma(a1, b1, c11);
            var a2 = Vector256.Create(a[2]); c20 = Fma(a2, b0, c20); c21 = Fma(a2, b1, c21);
            var a3 = Vector256.Create(a[3]); c30 = Fma(a3, b0, c30); c31 = Fma(a3, b1, c31);
            var a4 = Vector256.Create(a[4]); c40 = Fma(a4, b0, c40); c41 = Fma(a4, b1, c41);
            var a5 = Vector256.Create(a[5]); c50 = Fma(a5, b0, c50); c51 = Fma(a5, b1, c51);
            b0 = Vector256.Load(b + ldb); b1 = Vector256.Load(b + ldb + v);
            a0 = Vector256.Create(a[6]); c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01);
            a1 = Vector256.Create(a[7]); c10 = Fma(a1, b0, c10); c11 = Fma(a1, b1, c11);
            a2 = Vector256.Create(a[8]); c20 = Fma(a2, b0, c20); c21 = Fma(a2, b1, c21);
            a3 = Vector256.Create(a[9]); c30 = Fma(a3, b0, c30); c31 = Fma(a3, b1, c31);
            a4 = Vector256.Create(a[10]); c40 = Fma(a4, b0, c40); c41 = Fma(a4, b1, c41);
            a5 = Vector256.Create(a[11]); c50 = Fma(a5, b0, c50); c51 = Fma(a5, b1, c51);
            a += 12; b += 2 * ldb;
        }
        for (; kc > 0; kc--)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + v);
            var a0 = Vector256.Create(a[0]); c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01);
            var a1 = Vector256.Create(a[1]); c10 = Fma(a1, b0, c10); c11 = Fma(a1, b1, c11);
            var a2 = Vector256.Create(a[2]); c20 = Fma(a2, b0, c20); c21 = Fma(a2, b1, c21);
            var a3 = Vector256.Create(a[3]); c30 = Fma(a3, b0, c30); c31 = Fma(a3, b1, c31);
            var a4 = Vector256.Create(a[4]); c40 = Fma(a4, b0, c40); c41 = Fma(a4, b1, c41);
            var a5 = Vector256.Create(a[5]); c50 = Fma(a5, b0, c50); c51 = Fma(a5, b1, c51);
            a += 6; b += ldb;
        }
        Update(c, c00, load); Update(c + v, c01, load); c += ldc;
        Update(c, c10, load); Update(c + v, c11, load); c += ldc;
        Update(c, c20, load); Update(c + v, c21, load); c += ldc;
        Update(c, c30, load); Update(c + v, c31, load); c += ldc;
        Update(c, c40, load); Update(c + v, c41, load); c += ldc;
        Update(c, c50, load); Update(c + v, c51, load);
    }

    /// <summary>6 rows × 1 vector: the narrow last column panel.</summary>
    public static void Avx2Narrow<T>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint v = Vector256<T>.Count;
        var c00 = Vector256<T>.Zero;
        var c10 = Vector256<T>.Zero;
        var c20 = Vector256<T>.Zero;
        var c30 = Vector256<T>.Zero;
        var c40 = Vector256<T>.Zero;
        var c50 = Vector256<T>.Zero;
        for (; kc > 0; kc--)
        {
            var b0 = Vector256.Load(b);
            var a0 = Vector256.Create(a[0]); c00 = Fma(a0, b0, c00);
            var a1 = Vector256.Create(a[1]); c10 = Fma(a1, b0, c10);
            var a2 = Vector256.Create(a[2]); c20 = Fma(a2, b0, c20);
            var a3 = Vector256.Create(a[3]); c30 = Fma(a3, b0, c30);
            var a4 = Vector256.Create(a[4]); c40 = Fma(a4, b0, c40);
            var a5 = Vector256.Create(a[5]); c50 = Fma(a5, b0, c50);
            a += 6; b += ldb;
        }
        Update(c, c00, load); c += ldc;
        Update(c, c10, load); c += ldc;
        Update(c, c20, load); c += ldc;
        Update(c, c30, load); c += ldc;
        Update(c, c40, load); c += ldc;
        Update(c, c50, load);
    }

    /// <summary>Portable 4×4 fallback (no SIMD, no FMA requirement).</summary>
    public static void Scalar<T>(nint kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero, c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero;
        T c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero, c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (; kc > 0; kc--)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            T a0 = a[0]; c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            T a1 = a[1]; c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            T a2 = a[2]; c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            T a3 = a[3]; c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4; b += ldb;
        }
        UpdateRow(c, c00, c01, c02, c03, load); c += ldc;
        UpdateRow(c, c10, c11, c12, c13, load); c += ldc;
        UpdateRow(c, c20, c21, c22, c23, load); c += ldc;
        UpdateRow(c, c30, c31, c32, c33, load);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    // load = false overwrites C, so garbage (even NaN) in an uninitialized output never leaks into the result.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<T>(T* c, Vector512<T> v, bool load) where T : unmanaged
    {
        if (load) v += Vector512.Load(c);
        v.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<T>(T* c, Vector256<T> v, bool load) where T : unmanaged
    {
        if (load) v += Vector256.Load(c);
        v.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow<T>(T* c, T v0, T v1, T v2, T v3, bool load) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (load) { v0 += c[0]; v1 += c[1]; v2 += c[2]; v3 += c[3]; }
        c[0] = v0; c[1] = v1; c[2] = v2; c[3] = v3;
    }
}
