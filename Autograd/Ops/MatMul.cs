using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// Matrix product of the last two axes: [..., m, k] · [..., k, n] → [..., m, n]. Leading (batch) axes must
    /// match, or one side is 2-D and is shared across the other's batch.
    /// </summary>
    public static Tensor<T> MatMul<T>(this Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a); ArgumentNullException.ThrowIfNull(b);
        var shape = MatMulShape(a.Shape, b.Shape);
        var y = Tensor<T>.Uninitialized(shape);
        MatMulLayout(a.Shape, b.Shape, out int batches, out int m, out int k, out int n, out bool aBatched, out bool bBatched);
        var sa = a.AsReadOnlySpan(); var sb = b.AsReadOnlySpan(); var sy = y.AsSpan();
        for (int i = 0; i < batches; i++)
            Gemm.Multiply(false, false, m, n, k,
                aBatched ? sa.Slice(i * m * k, m * k) : sa, bBatched ? sb.Slice(i * k * n, k * n) : sb,
                sy.Slice(i * m * n, m * n), accumulate: false);
        if (Tape<T>.ShouldRecord(a, b)) Tape<T>.Record("MatMul", y, MatMulBackward, a, b);
        else Tape<T>.CheckForward("MatMul", y);
        return y;
    }

    private static void MatMulBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = e.A!; var b = e.B!;
        MatMulLayout(a.Shape, b.Shape, out int batches, out int m, out int k, out int n, out bool aBatched, out bool bBatched);
        var sa = a.AsReadOnlySpan(); var sb = b.AsReadOnlySpan();
        // dA = dY · Bᵀ and dB = Aᵀ · dY, through the transposed GEMM variants; a shared operand sums over the batch
        // (its first product overwrites a fresh buffer, the others add).
        if (Tape<T>.TryGrad(a, out var ga, out bool fresh))
        {
            if (fresh && batches == 0) ga.Clear();   // a shared operand of an empty batch gets a zero gradient
            for (int i = 0; i < batches; i++)
                Gemm.Multiply(false, true, m, k, n, gy.Slice(i * m * n, m * n), bBatched ? sb.Slice(i * k * n, k * n) : sb,
                    aBatched ? ga.Slice(i * m * k, m * k) : ga, accumulate: !fresh || (!aBatched && i > 0));
        }
        if (Tape<T>.TryGrad(b, out var gb, out fresh))
        {
            if (fresh && batches == 0) gb.Clear();
            for (int i = 0; i < batches; i++)
                Gemm.Multiply(true, false, k, n, m, aBatched ? sa.Slice(i * m * k, m * k) : sa, gy.Slice(i * m * n, m * n),
                    bBatched ? gb.Slice(i * k * n, k * n) : gb, accumulate: !fresh || (!bBatched && i > 0));
        }
    }

    private static Shape MatMulShape(Shape a, Shape b)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul: both operands need at least 2 dimensions, got {a} and {b} (reshape a vector to [1, n] or [n, 1]).");
        if (a[-1] != b[-2])
            throw new ArgumentException($"MatMul: inner dimensions differ: {a} · {b} ({a[-1]} vs {b[-2]}).");
        if (a.Rank > 2 && b.Rank > 2 && !a.Dimensions[..^2].SequenceEqual(b.Dimensions[..^2]))
            throw new ArgumentException($"MatMul: batch dimensions differ: {a} · {b}.");
        var batch = a.Rank >= b.Rank ? a : b;
        return batch.With(batch.Rank - 2, a[-2], "MatMul").With(batch.Rank - 1, b[-1], "MatMul");
    }

    // A 2-D right operand is folded into one big GEMM: [..., m, k] is contiguous, so it is [(batch·m), k].
    private static void MatMulLayout(Shape a, Shape b, out int batches, out int m, out int k, out int n, out bool aBatched, out bool bBatched)
    {
        k = a[-1]; n = b[-1];
        if (b.Rank == 2) { batches = 1; m = a.Product(0, a.Rank - 1); aBatched = false; bBatched = false; return; }
        m = a[-2];
        batches = b.Product(0, b.Rank - 2);
        aBatched = a.Rank > 2; bBatched = true;
    }
}
