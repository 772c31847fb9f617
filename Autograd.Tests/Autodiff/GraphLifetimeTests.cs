using System.Runtime.CompilerServices;

namespace Autograd.Tests.Autodiff;

/// <summary>Graphs belong to the tensors they produced: what nothing references is collected, and each root frees only its own graph.</summary>
public class GraphLifetimeTests
{
    private static Tensor<double> Parameter(Rng rng, params int[] shape)
    {
        var p = Tensor.Normal<double>(new Shape(shape), 0, 0.3, rng);
        p.RequiresGrad = true;
        return p;
    }

    // The repro: two losses over shared parameters, two Backward calls, one after the other.
    [Test]
    public void TwoLossesOverSharedParametersBackPropagateIndependently()
    {
        var rng = new Rng(3);
        var w = Parameter(rng, 5, 4);
        var x = Tensor.Normal<double>(new Shape(6, 4), 0, 1, rng);
        int[] labels = [0, 1, 2, 3, 4, 0];
        var a = x.Linear(w).CrossEntropyLoss(labels);
        var b = x.Linear(w).Sum();
        a.Backward();
        var afterA = w.Grad!.ToArray();
        b.Backward();
        var both = w.Grad!.ToArray();

        // Each loss alone, for reference.
        w.Grad = null;
        x.Linear(w).CrossEntropyLoss(labels).Backward();
        var onlyA = w.Grad!.ToArray();
        w.Grad = null;
        x.Linear(w).Sum().Backward();
        var onlyB = w.Grad!.ToArray();
        Assert.That(afterA, Is.EqualTo(onlyA).Within(1e-12));
        Assert.That(both, Is.EqualTo(onlyA.Zip(onlyB, (p, q) => p + q)).Within(1e-12));
    }

    [Test]
    public void ASecondBackwardThroughTheSameNonLeafNodesStillThrows()
    {
        var w = Parameter(new Rng(1), 3);
        var h = w.Mul(w);
        var a = h.Sum();
        var b = h.Mean();
        a.Backward();
        var ex = Assert.Throws<GraphFreedException>(() => b.Backward());
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("retainGraph"));
    }

    [Test]
    public void RetainGraphLetsTwoLossesShareAnIntermediate()
    {
        var w = Parameter(new Rng(1), 3);
        var h = w.Mul(w);
        h.Sum().Backward(retainGraph: true);
        h.Mean().Backward();
        var expected = w.ToArray().Select(v => 2 * v * (1 + 1.0 / 3)).ToArray();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void BackwardFromAnIntermediateFreesOnlyWhatItReaches()
    {
        var w = Parameter(new Rng(2), 4);
        var h = w.Exp();
        var y = h.Mul(2.0).Sum();
        h.Sum().Backward();   // frees Exp's node only
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(w.ToArray().Select(Math.Exp)).Within(1e-12));
        Assert.Throws<GraphFreedException>(() => y.Backward(), "y's graph goes through the freed Exp");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double ForwardWithoutBackward(Tensor<double> w1, Tensor<double> w2, Tensor<double> x, int[] labels) =>
        x.Linear(w1).Relu().Linear(w2).CrossEntropyLoss(labels).Item();

    // The repro: an evaluation loop that forgets NoGrad (parameters require grad, the loss is dropped) grew the
    // heap by 72 MB per 1,000 steps. Now each step's graph is garbage as soon as the loss is dropped.
    [Test]
    public void AForwardOnlyLoopWithoutNoGradKeepsTheHeapBounded()
    {
        var rng = new Rng(5);
        var w1 = Parameter(rng, 32, 64);
        var w2 = Parameter(rng, 10, 32);
        var x = Tensor.Normal<double>(new Shape(16, 64), 0, 1, rng);
        var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        for (int i = 0; i < 100; i++) ForwardWithoutBackward(w1, w2, x, labels);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 100_000; i++) ForwardWithoutBackward(w1, w2, x, labels);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Out.WriteLine($"managed heap after a full GC: {before / 1e6:F1} MB before, {after / 1e6:F1} MB after 100,000 steps");
        Assert.That(after - before, Is.LessThan(50_000_000), "no graph outlives the step that dropped it");
    }

    [Test]
    public void InsideAScopeAForwardOnlyLoopReusesItsBuffers()
    {
        var rng = new Rng(6);
        var w = Parameter(rng, 10, 20);
        var x = Tensor.Normal<double>(new Shape(8, 20), 0, 1, rng);
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7];
        void Step() { using (TensorScope.Begin()) _ = x.Linear(w).CrossEntropyLoss(labels).Item(); }
        for (int i = 0; i < 20; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Step();
        double perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;
        TestContext.Out.WriteLine($"{perStep:F0} bytes per forward-only step in a scope");
        Assert.That(perStep, Is.LessThan(1024), "only small objects (tensor handles, nodes), no data buffers ([8, 10] doubles = 640 B each)");
    }

    // Cross-thread: a graph built on one thread and differentiated on another is correct (see also TapeSemanticsTests).
    [Test]
    public void GraphsBuiltOnManyThreadsBackPropagateOnOne()
    {
        var w = Parameter(new Rng(7), 3);
        var losses = new Tensor<double>[4];
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() => losses[i] = w.Mul((double)(i + 1)).Exp().Sum())).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        foreach (var loss in losses) loss.Backward();
        var expected = w.ToArray().Select(v => Enumerable.Range(1, 4).Sum(k => k * Math.Exp(k * v))).ToArray();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(expected).Within(1e-9));
    }

    // Issue #11 item 11: the class targets are copied when the op is recorded, so changing the caller's array between
    // forward and backward changes nothing (no gradient written into another row, no IndexOutOfRange).
    [TestCase("CrossEntropyLoss")]
    [TestCase("NllLoss")]
    public void ChangingTheTargetsAfterTheForwardPassDoesNotChangeTheGradient(string op)
    {
        Tensor<double> Logits() { var t = Tensor.Normal<double>(new Shape(4, 5), 0, 1, new Rng(9)); t.RequiresGrad = true; return t; }
        Tensor<double> Loss(Tensor<double> x, int[] t) => op == "CrossEntropyLoss" ? x.CrossEntropyLoss(t) : x.LogSoftmax().NllLoss(t);
        int[] labels = [1, 0, 4, 2];
        var reference = Logits();
        Loss(reference, labels).Backward();

        var x = Logits();
        var targets = (int[])labels.Clone();
        var loss = Loss(x, targets);
        targets[0] = 3; targets[1] = 99; targets[2] = -5;   // in range, out of range: neither may matter now
        loss.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(reference.Grad!.ToArray()));
    }
}
