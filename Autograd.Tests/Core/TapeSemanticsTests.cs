using System.Runtime.CompilerServices;

namespace Autograd.Tests.Core;

/// <summary>What the tape promises: accumulation, no-grad, detach, graph freeing, shared inputs and its error messages.</summary>
public class TapeSemanticsTests
{
    private static Tensor<double> Leaf(params double[] v)
    {
        var t = Tensor.FromArray(v);
        t.RequiresGrad = true;
        return t;
    }

    private static Tensor<double> Const(params double[] v) => Tensor.FromArray(v);

    // ---- accumulation and shared inputs

    [Test]
    public void GradientsOfTwoLossesAddUp()
    {
        var x = Leaf(1, -2);
        (x * Const(3, 3)).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 3.0 + 2, 3.0 - 4 }));
    }

    [Test]
    public void SquareGetsBothFactorsGradient()
    {
        var x = Leaf(1.5, -2, 0.25);
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 3.0, -4, 0.5 }));
    }

    [Test]
    public void InputUsedByTwoOpsGetsTheSum()
    {
        var x = Leaf(1, 2, 3);
        (x * Const(5, 5, 5) + x.Neg()).Sum().Backward();   // d/dx (5x − x) = 4
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 4.0, 4, 4 }));
    }

    // An op result's gradient lives only while backward runs (its buffer goes back to the pool), as in PyTorch.
    [Test]
    public void OpResultsKeepNoGradientAndTheirBuffersAreReused()
    {
        var x = Leaf(1, -2, 3);
        var hidden = x * x;
        hidden.Sum().Backward();
        Assert.That(hidden.Grad, Is.Null, "no .Grad on a non-leaf");
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, -4, 6 }));

        // The same graph shape again, inside a scope: every intermediate gradient is rented from the pool and given back.
        using (TensorScope.Begin())
        {
            x.ZeroGrad();
            var again = x * x;
            (again * again).Sum().Backward();   // d/dx x⁴ = 4x³
            Assert.That(again.Grad, Is.Null);
        }
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 4.0, -32, 108 }));
    }

    // After ZeroGrad the first write overwrites the buffer; the second contribution of the same step must add.
    [Test]
    public void SharedInputsSumAfterZeroGradEvenWhenTheStaleBufferHoldsGarbage()
    {
        var x = Leaf(1.5, -2, 0.25);
        var m = Tensor.FromArray(new[] { 1.0, 2, -1, 0.5 }, 2, 2);
        m.RequiresGrad = true;
        (x * x).Sum().Backward();
        (m.MatMul(m) + m).Sum().Backward();
        var (xBuffer, mBuffer) = (x.Grad!, m.Grad!);
        x.ZeroGrad(); m.ZeroGrad();
        xBuffer.AsSpan().Fill(double.NaN); mBuffer.AsSpan().Fill(double.NaN);

        (x * x + x.Relu()).Sum().Backward();
        (m.MatMul(m) + m).Sum().Backward();

        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 3.0 + 1, -4, 0.5 + 1 }));
        // m reaches MatMul twice (as both operands) and Add once: three contributions to one buffer.
        var expected = GradCheck.NumericGradient(() => { using var _ = Grad.NoGrad(); return (m.MatMul(m) + m).Sum().Item(); }, m);
        Assert.That(m.Grad!.ToArray(), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void DiamondGraphSumsBothPaths()
    {
        // a → b = 2a, a → c = a·a, d = b·c = 2a³: dd/da = 6a², reaching a along both branches.
        var a = Leaf(0.5, -1, 2);
        var b = a * Const(2, 2, 2);
        var c = a * a;
        (b * c).Sum().Backward();
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 6 * 0.25, 6.0, 24 }).Within(1e-12));
        GradCheck.Assert(t => { var bb = t[0] * Const(2, 2, 2); return (bb * (t[0] * t[0])).Sum(); }, [Leaf(0.5, -1, 2)]);
    }

    [Test]
    public void BackwardWithGradOutputWeightsTheOutputs()
    {
        var x = Leaf(1, 2, 3, 4, 5, 6);
        var y = x * Const(2, 2, 2, 2, 2, 2);
        var g = Tensor.FromArray(new[] { 1.0, 0, -1, 2, 0.5, 3 });
        y.Backward(g);
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 0, -2, 4, 1, 6 }));
    }

    [Test]
    public void BackwardOnALeafSeedsItsOwnGradient()
    {
        var x = Leaf(7);
        x.Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(1.0));
    }

    // ---- no-grad

    [Test]
    public void NoGradRecordsNothing()
    {
        var x = Leaf(1, 2);
        Tensor<double> y;
        using (Grad.NoGrad())
        {
            Assert.That(Grad.IsEnabled, Is.False);
            y = (x * x + x).Sum();
        }
        Assert.That(Grad.IsEnabled, Is.True);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.IsLeaf, Is.True);
        Assert.That(y.Item(), Is.EqualTo(8.0), "the values are still computed");
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Test]
    public void NestedNoGradEndsWithTheOutermost()
    {
        using (Grad.NoGrad())
        {
            using (Grad.NoGrad()) { }
            Assert.That(Grad.IsEnabled, Is.False);
        }
        Assert.That(Grad.IsEnabled, Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ProductOf(Tensor<double> x, bool noGrad)
    {
        using var region = noGrad ? Grad.NoGrad() : default;
        var h = x * x;
        _ = h.Sum();
        return new WeakReference(h);
    }

    [Test]
    public void NoGradKeepsNothingAlive()
    {
        var x = Leaf(1, 2, 3);
        var recorded = ProductOf(x, noGrad: false);
        var unrecorded = ProductOf(x, noGrad: true);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.That(unrecorded.IsAlive, Is.False, "no-grad results are garbage as soon as the caller drops them");
        Assert.That(recorded.IsAlive, Is.False, "a recorded graph nothing references is garbage too: nothing global holds it");
    }

    // ---- detach

    [Test]
    public void DetachCutsTheGraph()
    {
        var x = Leaf(1, 2, 3);
        var y = x * x;
        var d = y.Detach();
        Assert.That(d.IsLeaf, Is.True);
        Assert.That(d.RequiresGrad, Is.False);
        (d * x).Sum().Backward();   // d is a constant x², so the gradient is x², not 3x²
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1.0, 4, 9 }));
    }

    [Test]
    public void DetachSharesStorage()
    {
        var x = Leaf(1, 2);
        var d = x.Detach();
        d[0] = 10;
        Assert.That(x[0], Is.EqualTo(10.0));
        d.RequiresGrad = true;   // a detached tensor is a leaf of its own
        (d * d).Sum().Backward();
        Assert.That(x.Grad, Is.Null, "gradients reach the detached leaf, not its source");
        Assert.That(d.Grad!.ToArray(), Is.EqualTo(new[] { 20.0, 4 }));
    }

    // ---- graph freeing

    [Test]
    public void RetainedGraphGivesTheSameGradientTwice()
    {
        var x = Leaf(1, -3);
        var y = (x * x * x).Sum();
        y.Backward(retainGraph: true);
        var first = x.Grad!.ToArray();
        x.ZeroGrad();
        y.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(first));
        Assert.That(first, Is.EqualTo(new[] { 3.0, 27 }));
    }

    [Test]
    public void FreedGraphThrowsEvenForAnIntermediate()
    {
        var x = Leaf(1, 2);
        var h = x * x;
        var y = h.Sum();
        y.Backward();
        Assert.Throws<GraphFreedException>(() => y.Backward());
        var ex = Assert.Throws<GraphFreedException>(() => h.Backward(Tensor.Ones<double>(2)));
        Assert.That(ex!.Message, Does.Contain("retainGraph"));
    }

    [Test]
    public void ToStringOfAFreedIntermediateSaysSo()
    {
        var x = Leaf(1);
        var y = x * x;
        y.Backward();
        Assert.That(y.ToString(), Does.Contain("freed"));
    }

    // ---- misuse gives clear errors

    [Test]
    public void RequiresGradCannotBeSetOnANonLeaf()
    {
        var x = Leaf(1, 2);
        var y = x * x;
        var ex = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.That(ex!.Message, Does.Contain("leaf").And.Contain("Mul").And.Contain("Detach"));
        Assert.That(y.RequiresGrad, Is.True);
    }

    [Test]
    public void NonScalarBackwardNeedsGradOutput()
    {
        var x = Tensor.Ones<double>(2, 3);
        x.RequiresGrad = true;
        var y = x * x;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("[2, 3]").And.Contain("gradOutput"));
    }

    [Test]
    public void GradOutputMustMatchTheOutputShape()
    {
        var x = Tensor.Ones<double>(2, 3);
        x.RequiresGrad = true;
        var y = x * x;
        var ex = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones<double>(3, 2)));
        Assert.That(ex!.Message, Does.Contain("[3, 2]").And.Contain("[2, 3]"));
        y.Backward(Tensor.Ones<double>(2, 3));   // the failed call consumed nothing
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(2.0));
    }

    [Test]
    public void BackwardOnATensorThatDoesNotRequireGradThrows()
    {
        var y = (Tensor.Ones<double>(2) * Tensor.Ones<double>(2)).Sum();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("does not require grad"));
    }

    // A graph belongs to its tensors, not to a thread: built on one thread, it back-propagates correctly on another
    // (the gradients' buffers come from the pool of the thread running the pass).
    [Test]
    public void BackwardOnAnotherThreadGivesTheSameGradient()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Sum();
        Exception? error = null;
        var thread = new Thread(() => { try { y.Backward(); } catch (Exception e) { error = e; } });
        thread.Start();
        thread.Join();
        Assert.That(error, Is.Null);
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 4 }));
        Assert.Throws<GraphFreedException>(() => y.Backward(), "the other thread's backward freed the graph");
    }

    // The repro: h recorded on thread A, h.Sum().Backward() on thread B, then again on A.
    [Test]
    public void AnIntermediateUsedOnTwoThreadsGivesEachBackwardItsOwnGradient()
    {
        var w = Leaf(1, 2, 3);
        var h = w.Mul(2.0);
        var thread = new Thread(() => h.Sum().Backward(retainGraph: true));
        thread.Start();
        thread.Join();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 2, 2 }));
        w.ZeroGrad();
        h.Sum().Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 2, 2 }));
    }
}
