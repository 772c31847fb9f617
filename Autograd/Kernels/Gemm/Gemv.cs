using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// Matrix-vector kernels for GEMMs with a single row or column (batch-1 inference, n = 1 heads). There every
/// element of the matrix operand is used once, so packing it or padding the vector to a micro-tile would only
/// add traffic: these stream the matrix straight from its storage.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>y[0..n) (+)= Σₚ x[p]·M[p·ldm + 0..n): a linear combination of k contiguous rows.</summary>
    // A kernel root, never inlined: see DotTiles.Run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RowCombination<T>(GemmIsa isa, int k, int n, T* x, T* mat, nint ldm, T* y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (isa == GemmIsa.Avx512)
        {
            // Four rows of M per sweep over y: M streams sequentially (prefetch-friendly, its loads kept cache-line
            // aligned) and y, which sits in L1, is loaded and stored once per four multiply-adds.
            int v = Vector512<T>.Count;
            var range = new AlignedRange<T>(n, mat);
            if (!accumulate) new Span<T>(y, n).Clear();
            int p = 0;
            for (; p + 4 <= k; p += 4)
            {
                var s0 = Vector512.Create(x[p]); var s1 = Vector512.Create(x[p + 1]);
                var s2 = Vector512.Create(x[p + 2]); var s3 = Vector512.Create(x[p + 3]);
                T* r0 = mat + p * ldm, r1 = r0 + ldm, r2 = r1 + ldm, r3 = r2 + ldm;
                for (int q = range.Start; q < range.End; q += v)
                {
                    if (range.IsWhole(q))
                    {
                        var acc = MicroKernels.Fma(s0, Vector512.Load(r0 + q), Vector512.Load(y + q));
                        acc = MicroKernels.Fma(s1, Vector512.Load(r1 + q), acc);
                        acc = MicroKernels.Fma(s2, Vector512.Load(r2 + q), acc);
                        MicroKernels.Fma(s3, Vector512.Load(r3 + q), acc).Store(y + q);
                    }
                    else
                    {
                        var mask = range.MaskAt(q);
                        var acc = MicroKernels.Fma(s0, Masked.Load(r0 + q, mask), Masked.Load(y + q, mask));
                        acc = MicroKernels.Fma(s1, Masked.Load(r1 + q, mask), acc);
                        acc = MicroKernels.Fma(s2, Masked.Load(r2 + q, mask), acc);
                        Masked.Store(y + q, mask, MicroKernels.Fma(s3, Masked.Load(r3 + q, mask), acc));
                    }
                }
            }
            for (; p < k; p++)
            {
                var s0 = Vector512.Create(x[p]);
                T* r0 = mat + p * ldm;
                for (int q = range.Start; q < range.End; q += v)
                {
                    var mask = range.IsWhole(q) ? Vector512<T>.AllBitsSet : range.MaskAt(q);
                    Masked.Store(y + q, mask, MicroKernels.Fma(s0, Masked.Load(r0 + q, mask), Masked.Load(y + q, mask)));
                }
            }
            return;
        }
        int j = 0;
        if (isa != GemmIsa.Scalar)
        {
            int v = Vector256<T>.Count;
            for (; j + v <= n; j += v)
            {
                var y0 = accumulate ? Vector256.Load(y + j) : Vector256<T>.Zero;
                T* row = mat + j;
                for (int p = 0; p < k; p++, row += ldm) y0 = MicroKernels.Fma(Vector256.Create(x[p]), Vector256.Load(row), y0);
                y0.Store(y + j);
            }
        }
        for (; j < n; j++)
        {
            T sum = accumulate ? y[j] : T.Zero;
            T* col = mat + j;
            for (int p = 0; p < k; p++, col += ldm) sum += x[p] * *col;
            y[j] = sum;
        }
    }

    /// <summary>y[j·ys] (+)= Σₚ x[p]·M[j·ldm + p] for j &lt; n: one dot product per contiguous row of M.</summary>
    public static void Dots<T>(GemmIsa isa, int n, int k, T* x, T* mat, nint ldm, T* y, nint ys, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (isa == GemmIsa.Avx512)
        {
            // Four rows of M per pass share each load of x, and no per-row call overhead.
            DotTiles.Run(1, n, k, x, 0, mat, ldm, y, 0, ys, accumulate, DotTiles.AlignA(1, n));
            return;
        }
        var xs = new ReadOnlySpan<T>(x, k);
        for (int j = 0; j < n; j++, mat += ldm, y += ys)
        {
            T dot = TensorPrimitives.Dot(xs, new ReadOnlySpan<T>(mat, k));
            *y = accumulate ? *y + dot : dot;
        }
    }

    /// <summary>C[i·ldc + j] (+)= x[i]·y[j] for i &lt; m, j &lt; n: the rank-1 product (k = 1), bound by writing C.</summary>
    // A kernel root, never inlined: see DotTiles.Run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Outer<T>(GemmIsa isa, int m, int n, T* x, T* y, T* c, nint ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (isa != GemmIsa.Avx512)
        {
            var ys = new ReadOnlySpan<T>(y, n);
            for (int i = 0; i < m; i++, c += ldc)
            {
                var row = new Span<T>(c, n);
                if (accumulate) TensorPrimitives.MultiplyAdd(ys, x[i], row, row);
                else TensorPrimitives.Multiply(ys, x[i], row);
            }
            return;
        }
        int v = Vector512<T>.Count;
        for (int i = 0; i < m; i++, c += ldc)
        {
            // C streams (read and written once): its vectors are the aligned ones.
            var range = new AlignedRange<T>(n, c);
            var s = Vector512.Create(x[i]);
            for (int q = range.Start; q < range.End; q += v)
            {
                if (range.IsWhole(q))
                    (accumulate ? MicroKernels.Fma(s, Vector512.Load(y + q), Vector512.Load(c + q)) : s * Vector512.Load(y + q)).Store(c + q);
                else
                {
                    var mask = range.MaskAt(q);
                    var yq = Masked.Load(y + q, mask);
                    Masked.Store(c + q, mask, accumulate ? MicroKernels.Fma(s, yq, Masked.Load(c + q, mask)) : s * yq);
                }
            }
        }
    }
}
