using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// GEMM against a naive float64 triple loop: every transpose combination, float and double, edge and block-boundary
/// shapes, accumulate on and off, one and two threads, and each kernel family the CPU can run.
/// </summary>
public class GemmTests
{
    // (m, n, k): empty, 1, primes, micro-tile (8×32 / 6×16 / 4×4) and KC-block (192/384) boundaries, gemv shapes.
    public static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 5, 3), (5, 0, 3), (4, 6, 0), (1, 1, 1), (2, 3, 1), (1, 7, 5), (7, 1, 5), (1, 1, 9), (1, 70, 33), (70, 1, 33),
        (3, 4, 5), (7, 13, 17), (8, 32, 16), (9, 33, 8), (6, 16, 7), (5, 17, 3), (31, 31, 31),
        (63, 63, 63), (64, 64, 64), (65, 65, 65), (63, 65, 64), (8, 16, 193), (17, 48, 385), (40, 100, 800),
    ];

    // The MNIST MLP's products (m, n, k): forward x·W, backward dX = dY·Wᵀ, dW = Xᵀ·dY, and an odd-sized large one.
    public static readonly (int M, int N, int K)[] NetworkShapes = [(64, 196, 784), (64, 784, 196), (784, 196, 64), (64, 10, 196), (129, 257, 67), (13, 1001, 97)];

    // Skinny shapes with their own paths: one row or column of C (gemv), k = 1 (outer product), narrow C (dot tiles for
    // x·Wᵀ, masked edge tiles otherwise). Widths straddle the vector lengths (8 and 16) and the 4-wide tiles.
    public static readonly int[] NarrowWidths = [1, 2, 3, 7, 10, 15, 16, 17, 30, 31, 33];

    public static IEnumerable<(int M, int N, int K)> SkinnyShapes()
    {
        foreach (int w in NarrowWidths)
        {
            yield return (1, w, 200); yield return (w, 1, 37);             // a single row / column of C
            yield return (w, 23, 1); yield return (11, w, 1);              // outer products
            yield return (64, w, 196); yield return (w, 64, 70);           // narrow output layer and its transpose
            yield return (13, w, 9); yield return (w, 5, 130);             // short and long k around the dot-tile threshold
        }
        yield return (1, 196, 784); yield return (1, 784, 196); yield return (196, 784, 1); yield return (1, 1, 300);
        yield return (1, 300, 1); yield return (300, 1, 1); yield return (30, 30, 64); yield return (64, 30, 30);
    }

    public static IEnumerable<TestCaseData> SkinnyCases()
    {
        foreach (var (m, n, k) in SkinnyShapes())
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    yield return new TestCaseData(ta, tb, m, n, k).SetArgDisplayNames($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k}");
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (m, n, k) in Shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool acc in new[] { false, true })
                        yield return new TestCaseData(ta, tb, m, n, k, acc).SetArgDisplayNames($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k}{(acc ? " +=" : "")}");
    }

    public static IEnumerable<TestCaseData> NetworkCases()
    {
        foreach (var (m, n, k) in NetworkShapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (int threads in new[] { 1, 2 })
                        yield return new TestCaseData(ta, tb, m, n, k, threads).SetArgDisplayNames($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k} threads={threads}");
    }

    // Names, not the internal enum, so the public test method can take them; only families this CPU runs natively.
    public static IEnumerable<string> Isas() => Enum.GetValues<GemmIsa>().Where(i => i <= Gemm.Isa).Select(i => i.ToString());

    [TestCaseSource(nameof(Cases))]
    public void FloatMatchesReference(bool transA, bool transB, int m, int n, int k, bool accumulate) =>
        Check<float>(transA, transB, m, n, k, accumulate, seed: 1);

    [TestCaseSource(nameof(Cases))]
    public void DoubleMatchesReference(bool transA, bool transB, int m, int n, int k, bool accumulate) =>
        Check<double>(transA, transB, m, n, k, accumulate, seed: 2);

    [TestCaseSource(nameof(SkinnyCases))]
    public void SkinnyShapesMatchReference(bool transA, bool transB, int m, int n, int k)
    {
        // Both accumulate modes, both precisions, and operands at several element offsets: the AVX-512 paths peel a masked
        // vector to reach cache-line alignment, so each offset exercises a different head and tail (sentinels sit on both sides of C).
        foreach (var (offA, offB, offC) in new[] { (0, 0, 0), (1, 3, 5), (7, 2, 1) })
            foreach (bool accumulate in new[] { false, true })
            {
                Check<float>(transA, transB, m, n, k, accumulate, seed: 20 + offA, offsets: (offA, offB, offC));
                Check<double>(transA, transB, m, n, k, accumulate, seed: 30 + offB, offsets: (offA, offB, offC));
            }
    }

    [Test]
    public void SkinnyShapesMatchReferenceOnEveryKernelFamily([ValueSource(nameof(Isas))] string isa)
    {
        var saved = Gemm.Isa;
        try
        {
            Gemm.Isa = Enum.Parse<GemmIsa>(isa);
            foreach (var (m, n, k) in SkinnyShapes())
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        Check<float>(ta, tb, m, n, k, accumulate: (m + n) % 2 == 0, seed: 40, offsets: (1, 2, 3));
                        Check<double>(ta, tb, m, n, k, accumulate: (n + k) % 2 == 1, seed: 41, offsets: (3, 0, 1));
                    }
        }
        finally { Gemm.Isa = saved; }
    }

    [TestCaseSource(nameof(NetworkCases))]
    public void NetworkShapesMatchReference(bool transA, bool transB, int m, int n, int k, int threads)
    {
        WithThreads(threads, () =>
        {
            Check<float>(transA, transB, m, n, k, accumulate: false, seed: 3);
            Check<double>(transA, transB, m, n, k, accumulate: true, seed: 4);
        });
    }

    [Test]
    public void LargeFloatMatchesReferenceOnTwoThreads() =>
        WithThreads(2, () => Check<float>(false, false, 1000, 500, 784, accumulate: true, seed: 5));

    [Test]
    public void SeveralCacheBlocksInEveryDimensionMatchReference()
    {
        // Large enough that the driver loops over more than one block of each dimension (float: KC ≤ 384, NC ≤ 1 MB / (KC·4),
        // MC ≤ 2 MB / (KC·4), so 390 → 2×195, 1400 columns → 2 NC blocks, 2800 rows → 2 MC blocks); rows are sampled
        // to keep the float64 reference affordable. One thread, so no stripe split shrinks the blocks.
        WithThreads(1, () =>
        {
            Check<float>(false, false, 2800, 40, 390, accumulate: true, seed: 14, rowStep: 7);
            Check<float>(true, false, 20, 1400, 390, accumulate: false, seed: 15);
            Check<float>(false, true, 40, 1400, 390, accumulate: true, seed: 16);
            Check<double>(true, true, 30, 1000, 400, accumulate: false, seed: 17);
        });
    }

    [Test]
    public void EveryKernelFamilyMatchesReference([ValueSource(nameof(Isas))] string isa)
    {
        var saved = Gemm.Isa;
        try
        {
            Gemm.Isa = Enum.Parse<GemmIsa>(isa);
            foreach (var (m, n, k) in Shapes.Concat(NetworkShapes.Take(3)))
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        Check<float>(ta, tb, m, n, k, accumulate: (m + k) % 2 == 0, seed: 6);
                        Check<double>(ta, tb, m, n, k, accumulate: (n + k) % 2 == 0, seed: 7);
                    }
        }
        finally { Gemm.Isa = saved; }
    }

    [Test]
    public void RaggedEdgeTilesMatchReferenceOnEveryKernelFamily([ValueSource(nameof(Isas))] string isa)
    {
        // Every remainder of m modulo the tile rows (6 and 8) against full, narrow, and ragged wide and narrow column
        // panels: the edge tiles computed in place (real rows only) and those merged from a scratch tile.
        var saved = Gemm.Isa;
        try
        {
            Gemm.Isa = Enum.Parse<GemmIsa>(isa);
            foreach (int m in new[] { 25, 26, 27, 28, 29, 30, 31, 32 })
                foreach (int n in new[] { 8, 12, 16, 20, 32, 37, 48 })
                    foreach (bool ta in new[] { false, true })
                        foreach (bool tb in new[] { false, true })
                        {
                            Check<float>(ta, tb, m, n, 19, accumulate: (m + n) % 2 == 0, seed: 50);
                            Check<double>(ta, tb, m, n, 9, accumulate: (m + n) % 2 == 1, seed: 51);
                        }
        }
        finally { Gemm.Isa = saved; }
    }

    [Test]
    public void RepeatedCallsGiveIdenticalResults()
    {
        // Reused packing buffers must not carry state from a larger earlier call into a smaller later one.
        var a = Random<float>(65 * 385, 8); var b = Random<float>(385 * 70, 9);
        var first = new float[65 * 70]; var again = new float[65 * 70];
        Gemm.Multiply<float>(false, false, 65, 70, 385, a, b, first, false);
        Gemm.Multiply<float>(true, true, 300, 300, 300, Random<float>(90000, 10), Random<float>(90000, 11), new float[90000], false);
        Gemm.Multiply<float>(false, false, 65, 70, 385, a, b, again, false);
        Assert.That(again, Is.EqualTo(first));
    }

    [Test]
    public void SingleThreadedCallsAllocateNothingOnceWarm()
    {
        WithThreads(1, () =>
        {
            var a = Random<float>(64 * 784, 12); var b = Random<float>(784 * 196, 13); var c = new float[784 * 196];
            void AllCombos()
            {
                Gemm.Multiply<float>(false, false, 64, 196, 784, a, b, c, false);
                Gemm.Multiply<float>(false, true, 64, 784, 196, c, b, a, true);
                Gemm.Multiply<float>(true, false, 784, 196, 64, a, c, b, true);
                Gemm.Multiply<float>(true, true, 7, 13, 17, a, b, c, false);
                Gemm.Multiply<float>(false, false, 1, 196, 784, a, b, c, false);
            }
            AllCombos(); // grows the per-thread packing buffers
            long before = GC.GetAllocatedBytesForCurrentThread();
            AllCombos();
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        });
    }

    // MaxThreads = 1 must mean exactly one thread: a product far above the parallel threshold hands no part to a helper.
    // A helper may be descheduled (the caller then runs both parts), so two threads are judged on the best of five tries.
    [Test]
    public void OneThreadSettingHandsNoPartToAHelper()
    {
        if (Environment.ProcessorCount < 2) Assert.Ignore("one core: the GEMM never splits");
        var a = Random<float>(512 * 512, 30); var b = Random<float>(512 * 512, 31); var c = new float[512 * 512];
        long HelperParts(int threads)
        {
            long most = 0;
            WithThreads(threads, () =>
            {
                Gemm.Multiply<float>(false, false, 512, 512, 512, a, b, c, false);   // warm
                for (int i = 0; i < 5; i++)
                {
                    long before = KernelWorkers.PartsRunByHelpers;
                    Gemm.Multiply<float>(false, false, 512, 512, 512, a, b, c, false);
                    most = Math.Max(most, KernelWorkers.PartsRunByHelpers - before);
                }
            });
            return most;
        }
        Assert.That(HelperParts(2), Is.GreaterThan(0), "two threads split a 512³ product (the counter sees helpers)");
        Assert.That(HelperParts(1), Is.Zero, "one thread: no part on a helper");
    }

    [Test]
    public void BackToBackTwoThreadCallsMatchOneThread()
    {
        // A helper may still be looking at a call that has finished when the next one is published: alternating calls that
        // cut C differently (row stripes, column stripes) and accumulate must still run each stripe exactly once.
        var a = Random<float>(256 * 784, 18); var b = Random<float>(784 * 256, 19);
        var expectedRows = new float[256 * 64]; var expectedCols = new float[32 * 784];
        WithThreads(1, () =>
        {
            for (int r = 0; r < 3; r++) Gemm.Multiply<float>(false, false, 256, 64, 784, a, b, expectedRows, true);
            for (int r = 0; r < 3; r++) Gemm.Multiply<float>(false, true, 32, 784, 256, a, b, expectedCols, true);
        });
        WithThreads(2, () =>
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var rows = new float[256 * 64]; var cols = new float[32 * 784];
                for (int r = 0; r < 3; r++)
                {
                    Gemm.Multiply<float>(false, false, 256, 64, 784, a, b, rows, true);
                    Gemm.Multiply<float>(false, true, 32, 784, 256, a, b, cols, true);
                }
                Assert.That(rows, Is.EqualTo(expectedRows));
                Assert.That(cols, Is.EqualTo(expectedCols));
            }
        });
    }

    [Test]
    public void TwoThreadCallsAllocateAlmostNothingOnceWarm()
    {
        // All threads count (the helpers too). Parallel.For cost about 2 KB per call; the reused job and the persistent
        // helpers cost nothing, but the runtime may allocate now and then, hence the small per-call allowance.
        WithThreads(2, () =>
        {
            var a = Random<float>(64 * 784, 20); var b = Random<float>(784 * 196, 21); var c = new float[64 * 196];
            for (int r = 0; r < 20; r++) Gemm.Multiply<float>(false, false, 64, 196, 784, a, b, c, false);
            // The counter is process-wide, so unrelated background work (other tests' leftover tasks) can land in a
            // window; the kernel's own allocation would show in every window, so the quietest of five is judged.
            const int calls = 50;
            long best = long.MaxValue;
            for (int window = 0; window < 5; window++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int r = 0; r < calls; r++) Gemm.Multiply<float>(false, false, 64, 196, 784, a, b, c, false);
                best = Math.Min(best, (GC.GetTotalAllocatedBytes(precise: true) - before) / calls);
            }
            Assert.That(best, Is.LessThan(64));
        });
    }

    [Test]
    public void RejectsBadSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(false, false, -1, 2, 2, new float[4], new float[4], new float[4], false));
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 2, 3, new float[5], new float[6], new float[4], false));
        Assert.That(ex!.Message, Does.Contain("m=2 n=2 k=3"));
    }

    [Test]
    public void MaxThreadsRejectsValuesBelowOne()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);
        Assert.That(ex!.Message, Does.Contain("Parallelism.MaxThreads").And.Contain("got 0"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = -3);
        Assert.That(Parallelism.MaxThreads, Is.GreaterThanOrEqualTo(1));
    }

    internal static void WithThreads(int threads, Action body)
    {
        int saved = Parallelism.MaxThreads;
        try { Parallelism.MaxThreads = threads; body(); }
        finally { Parallelism.MaxThreads = saved; }
    }

    /// <summary>A GEMM entry point with <see cref="Gemm.Multiply{T}"/>'s signature (a kernel may be called directly).</summary>
    internal delegate void GemmCall<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate);

    internal static void Check<T>(bool transA, bool transB, int m, int n, int k, bool accumulate, int seed, int rowStep = 1,
        (int A, int B, int C) offsets = default, GemmCall<T>? call = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Operands start `offsets` elements into their arrays, which moves them relative to cache lines.
        var a = Random<T>(m * k, seed); var b = Random<T>(k * n, seed + 100);
        var aStore = new T[a.Length + offsets.A]; a.CopyTo(aStore, offsets.A);
        var bStore = new T[b.Length + offsets.B]; b.CopyTo(bStore, offsets.B);
        // Sentinels before and after C must survive; an overwritten C starts as NaN, which must never leak in.
        int before = offsets.C;
        var cStore = new T[before + m * n + 2];
        var c0 = accumulate ? Random<T>(m * n, seed + 200) : null;
        for (int i = 0; i < cStore.Length; i++)
            cStore[i] = i >= before && i < before + m * n ? (c0 is null ? T.NaN : c0[i - before]) : T.CreateChecked(42);

        (call ?? Gemm.Multiply<T>)(transA, transB, m, n, k, aStore.AsSpan(offsets.A), bStore.AsSpan(offsets.B), cStore.AsSpan(before), accumulate);
        var c = cStore.AsSpan(before).ToArray();
        for (int i = 0; i < before; i++) Assert.That(cStore[i], Is.EqualTo(T.CreateChecked(42)), $"sentinel {i - before} before C");

        // Rounding bound for a length-k dot product: k·ε·Σ|a||b| (plus the accumulated C term).
        double eps = typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16;
        foreach (int i in Enumerable.Range(0, m).Where(i => i % rowStep == 0 || i == m - 1))
            for (int j = 0; j < n; j++)
            {
                double exact = c0 is null ? 0 : double.CreateChecked(c0[i * n + j]), magnitude = Math.Abs(exact);
                for (int p = 0; p < k; p++)
                {
                    double x = double.CreateChecked(transA ? a[p * m + i] : a[i * k + p]);
                    double y = double.CreateChecked(transB ? b[j * k + p] : b[p * n + j]);
                    exact += x * y; magnitude += Math.Abs(x * y);
                }
                double got = double.CreateChecked(c[i * n + j]);
                if (!(Math.Abs(got - exact) <= (k + 2) * eps * magnitude + 1e-300))
                    Assert.Fail($"{typeof(T).Name} {(transA ? "T" : "N")}{(transB ? "T" : "N")} {m}x{n}x{k}: C[{i},{j}] = {got}, expected {exact}");
            }
        Assert.That(c[m * n], Is.EqualTo(T.CreateChecked(42)));
        Assert.That(c[m * n + 1], Is.EqualTo(T.CreateChecked(42)));
    }

    internal static T[] RandomValues<T>(int length, int seed) where T : unmanaged, IFloatingPointIeee754<T> => Random<T>(length, seed);

    private static T[] Random<T>(int length, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new System.Random(seed);
        var values = new T[length];
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return values;
    }

    // Kernel roots keep their own JIT inlining budget: inlined into a hot caller by dynamic PGO, the budget ran out before
    // the AggressiveInlining Fma helper and every multiply-add became a call (a 1×10×784 product took 5× as long).
    [TestCase(typeof(Gemv), nameof(Gemv.Outer))]
    [TestCase(typeof(Gemv), nameof(Gemv.RowCombination))]
    [TestCase(typeof(DotTiles), nameof(DotTiles.Run))]
    [TestCase(typeof(BroadcastTiles), nameof(BroadcastTiles.Run))]
    public void KernelRootsAreNeverInlined(Type kernel, string method)
    {
        var m = kernel.GetMethod(method, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!;
        Assert.That(m.MethodImplementationFlags & System.Reflection.MethodImplAttributes.NoInlining,
            Is.EqualTo(System.Reflection.MethodImplAttributes.NoInlining), $"{kernel.Name}.{method}");
    }
}
