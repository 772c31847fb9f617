using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The register-tile path for B not transposed (<see cref="BroadcastTiles"/>): few rows of C (one block of up to 12 rows)
/// or a short k (blocks of up to 8 rows × 3 vectors). Shapes straddle the vector widths (16 floats, 8 doubles), the
/// register blocks and the row chunks; operands sit at several element offsets so the cache-line alignment of the first
/// column block (a masked head before column 0) varies; an overwritten C starts as NaN. Checked through
/// <see cref="Gemm.Multiply{T}"/> (the dispatch), directly (shapes the dispatch sends elsewhere), and on the lower kernel families.
/// </summary>
public class GemmBroadcastTilesTests
{
    // m ≤ 12: one block holds every row. k from 2 (k = 1 is an outer product, handled before) to long.
    private static readonly int[] FewRows = [2, 3, 5, 8, 10, 11, 12];
    // Taller C with short k: one and several 8-row blocks, balanced blocks of 7 and 6, a ragged last block.
    private static readonly int[] TallRows = [13, 17, 20, 25, 64, 70];
    private static readonly int[] Widths = [2, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 100, 196];
    private static readonly (int A, int B, int C)[] Offsets = [(0, 0, 0), (1, 3, 5), (7, 2, 11)];

    public static IEnumerable<TestCaseData> FewRowCases()
    {
        foreach (int m in FewRows)
            foreach (int k in new[] { 2, 3, 10, 64, 130 })
                foreach (bool ta in new[] { false, true })
                    yield return new TestCaseData(ta, m, k).SetArgDisplayNames($"{(ta ? "T" : "N")}N m={m} k={k}");
    }

    public static IEnumerable<TestCaseData> TallCases()
    {
        foreach (int m in TallRows)
            foreach (int k in new[] { 2, 5, 10, 16, 64 })
                foreach (bool ta in new[] { false, true })
                    yield return new TestCaseData(ta, m, k).SetArgDisplayNames($"{(ta ? "T" : "N")}N m={m} k={k}");
    }

    [TestCaseSource(nameof(FewRowCases))]
    public void FewRowsMatchReference(bool transA, int m, int k) => Sweep(transA, m, k, seed: 50);

    [TestCaseSource(nameof(TallCases))]
    public void ShortKMatchesReference(bool transA, int m, int k) => Sweep(transA, m, k, seed: 60);

    [Test]
    public void TheSweptShapesTakeTheRegisterTilePath()
    {
        // Guards the purpose of the sweeps above: if the dispatch rule changes, these tests must be revisited.
        foreach (int m in FewRows.Concat(TallRows))
            foreach (int k in new[] { 2, 64 })
                Assert.That(Gemm.UseBroadcastTiles<float>(m, 196, k, accumulate: true), $"m={m} k={k}");
        Assert.That(Gemm.UseBroadcastTiles<float>(64, 784, 65, accumulate: false), Is.False, "long k on a tall C keeps the blocked path");
        Assert.That(Gemm.UseBroadcastTiles<double>(1000, 784, 10, accumulate: true), Is.False, "accumulating into a C beyond L2");
        Assert.That(Gemm.UseBroadcastTiles<double>(1000, 784, 10, accumulate: false), Is.True, "overwriting it with short k");
        Assert.That(Gemm.UseBroadcastTiles<float>(1000, 784, 32, accumulate: false), Is.False, "overwriting it with longer k");
    }

    [Test]
    public void RowChunksMatchReference()
    {
        // Rows run in chunks bounded by packed A (16 KB) and C (256 KB): float k = 64 → 64-row chunks, double n = 900 →
        // 32-row chunks, float n = 400 → 160. A C over 1 MB is only taken when overwritten with k ≤ 16. Rows are sampled
        // to keep the reference cheap.
        Assert.That(Gemm.UseBroadcastTiles<float>(300, 200, 64, true) && Gemm.UseBroadcastTiles<double>(150, 900, 16, false)
            && Gemm.UseBroadcastTiles<float>(700, 400, 8, false) && Gemm.UseBroadcastTiles<double>(10, 3000, 700, true));
        GemmTests.WithThreads(1, () =>
        {
            GemmTests.Check<float>(false, false, 300, 200, 64, accumulate: true, seed: 70, rowStep: 3);
            GemmTests.Check<double>(true, false, 150, 900, 16, accumulate: false, seed: 71, rowStep: 2, offsets: (1, 2, 3));
            GemmTests.Check<float>(false, false, 700, 400, 8, accumulate: false, seed: 72, rowStep: 5, offsets: (3, 1, 2));
            GemmTests.Check<double>(true, false, 10, 3000, 700, accumulate: true, seed: 73, offsets: (2, 5, 1));
        });
    }

    [Test]
    public void KernelMatchesReferenceOnShapesTheDispatchSendsElsewhere()
    {
        // Run directly, the kernel serves any B-not-transposed product: a tall C with long k, an accumulated C beyond L2.
        Assume.That(Gemm.Isa, Is.EqualTo(GemmIsa.Avx512), "the register-tile kernels are AVX-512 only");
        foreach (var (m, n, k) in new[] { (30, 70, 200), (13, 33, 100), (9, 17, 1), (40, 5, 70), (600, 500, 12) })
            foreach (bool ta in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                {
                    GemmTests.Check<float>(ta, false, m, n, k, accumulate, seed: 80, rowStep: 7, offsets: (1, 0, 2), call: Direct<float>);
                    GemmTests.Check<double>(ta, false, m, n, k, accumulate, seed: 81, rowStep: 7, offsets: (0, 3, 1), call: Direct<double>);
                }
    }

    [Test]
    public void LowerKernelFamiliesMatchReferenceOnTheSameShapes([ValueSource(typeof(GemmTests), nameof(GemmTests.Isas))] string isa)
    {
        var saved = Gemm.Isa;
        try
        {
            Gemm.Isa = Enum.Parse<GemmIsa>(isa);
            foreach (int m in FewRows.Concat(TallRows))
                foreach (int k in new[] { 2, 10, 64 })
                    foreach (int n in new[] { 7, 17, 49 })
                        foreach (bool ta in new[] { false, true })
                        {
                            GemmTests.Check<float>(ta, false, m, n, k, accumulate: (m + n) % 2 == 0, seed: 90, offsets: (1, 2, 3));
                            GemmTests.Check<double>(ta, false, m, n, k, accumulate: (m + k) % 2 == 1, seed: 91, offsets: (3, 0, 1));
                        }
        }
        finally { Gemm.Isa = saved; }
    }

    // Every width, both precisions, both accumulate modes, three alignments; one thread so no stripe split intervenes.
    private static void Sweep(bool transA, int m, int k, int seed)
    {
        GemmTests.WithThreads(1, () =>
        {
            foreach (int n in Widths)
                foreach (var offsets in Offsets)
                    foreach (bool accumulate in new[] { false, true })
                    {
                        GemmTests.Check<float>(transA, false, m, n, k, accumulate, seed, offsets: offsets);
                        GemmTests.Check<double>(transA, false, m, n, k, accumulate, seed + 1, offsets: offsets);
                    }
        });
    }

    private static unsafe void Direct<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.That(transB, Is.False);
        fixed (T* pa = a, pb = b, pc = c)
            BroadcastTiles.Run(transA, m, n, k, pa, transA ? m : k, pb, n, pc, n, accumulate);
    }
}
