using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The multi-threaded GEMM against the single-threaded one, bit for bit: stripes run the kernel the whole product
/// would run and start on its tile grid, so every thread count must give the same bits. Shapes are odd, above the
/// split thresholds (multiply-adds and elements of C per part), and chosen to reach each striped kernel (blocked
/// driver, broadcast tiles, dot tiles) with row and column cuts, on every kernel family this CPU runs; blocked products
/// pack the operand both stripes read in slices on both threads, so the shapes also cross the driver's cache blocks.
/// </summary>
public class GemmThreadingTests
{
    // (m, n, k, transA, transB): blocked shapes (tall, wide, odd, several KC blocks), broadcast tiles (B in place: m ≤ 12,
    // or short k), dot tiles (x·Wᵀ with a narrow side).
    private static readonly (int M, int N, int K, bool TransA, bool TransB)[] Shapes =
    [
        (1000, 500, 784, false, true), (1000, 784, 500, false, false), (500, 784, 1000, true, false),
        (129, 257, 67, false, false), (13, 1001, 97, true, true), (517, 333, 61, false, true), (61, 517, 333, true, false),
        (64, 129, 2003, false, false), (2003, 9, 97, true, true),
        (2800, 40, 390, false, false), (40, 1400, 390, false, true),   // two MC blocks; two NC blocks (and two KC in both)
        (10, 784, 1000, false, false), (7, 1201, 777, true, false), (1000, 784, 10, false, false), (333, 1111, 16, true, false),
        (1000, 10, 784, false, true), (15, 1000, 333, false, true), (999, 30, 400, false, true),
    ];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (m, n, k, ta, tb) in Shapes)
            foreach (bool accumulate in new[] { false, true })
                yield return new TestCaseData(m, n, k, ta, tb, accumulate)
                    .SetArgDisplayNames($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k}{(accumulate ? " +=" : "")}");
    }

    public static IEnumerable<string> Isas() => GemmTests.Isas();

    [TestCaseSource(nameof(Cases))]
    public void TwoAndThreeThreadsGiveTheBitsOfOne(int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        foreach (var isa in Enum.GetValues<GemmIsa>().Where(i => i <= Gemm.Isa))
        {
            var saved = Gemm.Isa;
            try
            {
                Gemm.Isa = isa;
                CompareFloat(m, n, k, transA, transB, accumulate, seed: m + n);
            }
            finally { Gemm.Isa = saved; }
        }
    }

    [Test]
    public void DoubleTwoThreadsGiveTheBitsOfOne()
    {
        var a = GemmTests.RandomValues<double>(517 * 333, 1); var b = GemmTests.RandomValues<double>(333 * 401, 2);
        var one = GemmTests.RandomValues<double>(517 * 401, 3); var two = (double[])one.Clone();
        GemmTests.WithThreads(1, () => Gemm.Multiply<double>(false, false, 517, 401, 333, a, b, one, true));
        GemmTests.WithThreads(2, () => Gemm.Multiply<double>(false, false, 517, 401, 333, a, b, two, true));
        Assert.That(two, Is.EqualTo(one));
    }

    [Test]
    public void ConcurrentCallersEachGetTheirOwnResult()
    {
        // One call at a time has the helpers; the others run their stripes on their own thread. Four callers at once
        // must each still get exactly their product.
        var a = GemmTests.RandomValues<float>(300 * 400, 4); var b = GemmTests.RandomValues<float>(400 * 350, 5);
        var expected = new float[300 * 350];
        GemmTests.WithThreads(1, () => Gemm.Multiply<float>(false, false, 300, 350, 400, a, b, expected, false));
        GemmTests.WithThreads(2, () =>
        {
            var failures = 0;
            var callers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                var c = new float[300 * 350];
                for (int r = 0; r < 20; r++)
                {
                    Gemm.Multiply<float>(false, false, 300, 350, 400, a, b, c, false);
                    if (!c.AsSpan().SequenceEqual(expected)) Interlocked.Increment(ref failures);
                }
            })).ToArray();
            foreach (var t in callers) t.Start();
            foreach (var t in callers) t.Join();
            Assert.That(failures, Is.Zero);
        });
    }

    [Test]
    public void AnExceptionInAPartReachesTheCaller()
    {
        var work = new FailingWork();
        var ex = Assert.Throws<InvalidOperationException>(() => KernelWorkers.Run(work, 2));
        Assert.That(ex!.Message, Does.Contain("part 1"));
        Assert.That(work.Ran, Is.EqualTo(2), "the other part still ran");
        // The helpers are free again afterwards.
        var next = new FailingWork { FailingPart = -1 };
        KernelWorkers.Run(next, 2);
        Assert.That(next.Ran, Is.EqualTo(2));
    }

    private sealed class FailingWork : ParallelWork
    {
        public int FailingPart { get; init; } = 1;
        private int _ran;
        public int Ran => _ran;
        public override void RunPart(int part)
        {
            Interlocked.Increment(ref _ran);
            if (part == FailingPart) throw new InvalidOperationException($"FailingWork: part {part} failed on purpose.");
        }
    }

    private static void CompareFloat(int m, int n, int k, bool transA, bool transB, bool accumulate, int seed)
    {
        var a = GemmTests.RandomValues<float>(m * k, seed); var b = GemmTests.RandomValues<float>(k * n, seed + 1);
        var start = GemmTests.RandomValues<float>(m * n, seed + 2);
        var one = (float[])start.Clone();
        GemmTests.WithThreads(1, () => Gemm.Multiply<float>(transA, transB, m, n, k, a, b, one, accumulate));
        foreach (int threads in new[] { 2, 3 })
        {
            var many = (float[])start.Clone();
            GemmTests.WithThreads(threads, () => Gemm.Multiply<float>(transA, transB, m, n, k, a, b, many, accumulate));
            int differing = Enumerable.Range(0, one.Length).Count(i => BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]));
            Assert.That(differing, Is.Zero, $"{Gemm.Isa}, {threads} threads: elements whose bits differ from one thread's");
        }
    }
}
