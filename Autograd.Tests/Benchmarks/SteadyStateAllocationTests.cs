using Autograd.Benchmarks.Networks;

namespace Autograd.Tests.Benchmarks;

/// <summary>
/// What a training step allocates once warm (the numbers MemoryDiagnoser reports, checked here without BenchmarkDotNet):
/// nothing for the hand-derived network, and only per-op Tensor objects, never data buffers, for the tape.
/// GEMM runs on one thread, as in the benchmarks; the hand-derived step is also checked with the default thread count
/// at batch 64, where the larger GEMMs split across threads (those jobs must not allocate either).
/// </summary>
public class SteadyStateAllocationTests
{
    private const int Batch = 16, WarmUp = 5, Steps = 10;
    private int _savedThreads;

    [SetUp]
    public void OneGemmThread()
    {
        _savedThreads = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 1;
    }

    [TearDown]
    public void Restore()
    {
        Parallelism.MaxThreads = _savedThreads;
    }

    private static IEnumerable<TestCaseData> Networks() => NetworkSpec.All.Select(s => new TestCaseData(s.Name));

    // The quietest of three windows: the runtime occasionally allocates on the test's thread for itself (tiered
    // compilation's call counting and back-patching run while the test is warm), which is not the step's allocation.
    private static double BytesPerStep(Action step)
    {
        for (int i = 0; i < WarmUp; i++) step();   // JIT, per-batch buffers, pools and the scope's node cache
        double quietest = double.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Steps; i++) step();
            quietest = Math.Min(quietest, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Steps);
        }
        return quietest;
    }

    [TestCaseSource(nameof(Networks))]
    public void HandDerivedStepAllocatesNothing(string network)
    {
        var spec = NetworkSpec.ByName(network);
        var hand = new HandDerivedMlp<float>(spec, spec.InitialParameters<float>(1));
        var (x, labels) = spec.SyntheticBatch<float>(Batch, 2);
        double bytes = BytesPerStep(() => hand.Step(x, labels, Batch, 0.01f));
        Parallelism.MaxThreads = _savedThreads;
        var (x64, labels64) = spec.SyntheticBatch<float>(64, 2);   // large enough for the GEMMs to go parallel
        double threaded = BytesPerStep(() => hand.Step(x64, labels64, 64, 0.01f));
        TestContext.Out.WriteLine($"{network}: hand-derived step allocates {bytes:F0} bytes on one GEMM thread; " +
            $"{threaded:F0} bytes at batch 64 with MaxThreads = {_savedThreads}");
        Assert.That(bytes, Is.Zero, "one GEMM thread");
        Assert.That(threaded, Is.Zero, $"MaxThreads = {_savedThreads}");
    }

    /// <summary>
    /// A tape step allocates Tensor objects only (object header, inline Shape, grad_fn): one per op result, plus the one-hot
    /// target MseLoss builds from the labels. The ops' nodes are reused from the scope's previous step, intermediate
    /// gradients and CrossEntropyLoss's saved softmax are pooled buffers without a Tensor handle, and class targets are copied
    /// into the (reused) node's own array. So ops + 1 objects at most.
    /// The bound allows 128 bytes per object; a leaked hidden-layer buffer ([16, ≥ 30] floats, ≥ 1920 bytes), an
    /// input-sized one, or a Tensor handle per intermediate gradient (ops more objects) would exceed it.
    /// </summary>
    [TestCaseSource(nameof(Networks))]
    public void TapeStepAllocatesOnlyTensorObjects(string network)
    {
        var spec = NetworkSpec.ByName(network);
        var tape = new TapeMlp<float>(spec, spec.InitialParameters<float>(1));
        var (x, labels) = spec.SyntheticBatch<float>(Batch, 2);
        var batch = new TapeBatch<float>(spec, x, labels);
        double bytes = BytesPerStep(() => tape.Step(batch, 0.01f));
        // Linear + activation per layer (no hidden activation after the last one unless the cost is quadratic) + the loss op(s).
        int ops = 2 * spec.Layers - 1 + (spec.Loss == OutputLoss.SigmoidQuadratic ? 3 : 1);
        TestContext.Out.WriteLine($"{network}: tape step allocates {bytes:F0} bytes ({ops} recorded ops, {bytes / ops:F0} bytes per op)");
        Assert.That(bytes, Is.LessThanOrEqualTo(128 * (ops + 1)));
        Assert.That(bytes, Is.GreaterThan(0), "the tape does allocate its Tensor objects; a zero would mean the measurement is broken");
    }
}
