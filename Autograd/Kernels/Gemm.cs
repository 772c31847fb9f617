namespace Autograd.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: C[m×n] = op(A)·op(B), or C += op(A)·op(B) when
/// <c>accumulate</c>. op(A) is A (m×k, row length k) or, with <c>transA</c>, Aᵀ where A is stored k×m.
/// Likewise op(B) is B (k×n) or, with <c>transB</c>, Bᵀ where B is stored n×k. Transposes are never materialized.
/// </summary>
public static class Gemm
{
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: negative size m={m} n={n} k={k}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Gemm: spans too short for m={m} n={n} k={k} (A {a.Length}, B {b.Length}, C {c.Length}).");
        var cm = c[..(m * n)];
        if (!accumulate) cm.Clear();
        if (k == 0) return;
        // Placeholder reference kernel (i-p-j order so the inner loop is a contiguous row update).
        for (int i = 0; i < m; i++)
        {
            var crow = cm.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[p * m + i] : a[i * k + p];
                if (!transB) TensorPrimitives.FusedMultiplyAdd(b.Slice(p * n, n), av, crow, crow);
                else for (int j = 0; j < n; j++) crow[j] += av * b[j * k + p];
            }
        }
    }
}
