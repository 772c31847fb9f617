namespace Autograd.Tests.Autodiff;

/// <summary>
/// Elementwise derivatives (ReLU, sigmoid, tanh, scaling, reshape) write their input's gradient over their output's
/// gradient buffer when the pass owns it and nothing else has written the input's gradient yet
/// (BackwardPass.TryGradInPlace). The gradients must equal the rules' (a createGraph pass runs the rules, each with
/// tensors of its own) in chains of such ops, where one buffer goes down the whole chain; with an input read by several
/// ops, whose later gradients add into the handed-over buffer; through retained graphs; and a caller's gradOutput is
/// never written.
/// </summary>
public class InPlaceGradientTests
{
    private static Tensor<double> Values(int seed, params int[] shape)
    {
        var rng = new Rng((ulong)seed);
        var v = new double[shape.Aggregate(1, (a, b) => a * b)];
        rng.FillUniform<double>(v, -1.5, 1.5);
        return Tensor.FromArray(v, shape);
    }

    private static void AssertSame(Tensor<double> actual, Tensor<double> expected, string what)
    {
        var a = actual.ToArray(); var e = expected.ToArray();
        Assert.That(a.Length, Is.EqualTo(e.Length), what);
        // The rules sum the readers' gradients in another order: equal up to rounding.
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-14 * Math.Max(1, Math.Abs(e[i]))), $"{what} at {i}");
    }

    // Every link is an op result whose only reader is the next op, so the root's gradient buffer can go down the chain.
    private static Tensor<double> Chain(Tensor<double> x, Tensor<double> w) =>
        (x * w).Relu().Mul(1.7).Sigmoid().Reshape(6, 4).Tanh().Add(0.25).Relu().Reshape(2, 12);

    [Test]
    public void AChainOfElementwiseOpsGetsTheRulesGradient()
    {
        var w = Values(2, 4, 6);
        var upstream = Values(3, 2, 12);
        var x = Values(1, 4, 6); x.RequiresGrad = true;
        Chain(x, w).Backward(upstream);
        var x2 = Values(1, 4, 6); x2.RequiresGrad = true;
        var ruled = Functional.Grad(Chain(x2, w), x2, upstream, createGraph: true);
        Assert.That(x.Grad!.ToArray().Count(v => v != 0), Is.GreaterThan(5), "the case has gradients to compare");
        AssertSame(x.Grad!, ruled, "fused chain vs rules");
    }

    [Test]
    public void AnInputReadBySeveralOpsAddsIntoTheHandedOverBuffer()
    {
        // z feeds a ReLU, a sigmoid, a scale and a reshape: whichever runs first takes over its output's buffer as z's
        // gradient, and the others must add to it.
        static Tensor<double> Loss(Tensor<double> x, Tensor<double> w)
        {
            var z = x * w;
            return (z.Relu() + z.Sigmoid() + z.Mul(3.0) + z.Reshape(6, 4).Tanh().Reshape(4, 6)).Square().Sum();
        }
        var w = Values(5, 4, 6);
        var x = Values(4, 4, 6); x.RequiresGrad = true;
        Loss(x, w).Backward();
        var x2 = Values(4, 4, 6); x2.RequiresGrad = true;
        AssertSame(x.Grad!, Functional.Grad(Loss(x2, w), x2, createGraph: true), "several readers vs rules");
    }

    [Test]
    public void ARetainedGraphGivesTheSameGradientTwice()
    {
        var w = Values(2, 4, 6);
        var upstream = Values(3, 2, 12);
        var x = Values(1, 4, 6); x.RequiresGrad = true;
        var y = Chain(x, w);
        y.Backward(upstream, retainGraph: true);
        var first = x.Grad!.ToArray();
        y.Backward(upstream);
        var twice = x.Grad!.ToArray();
        for (int i = 0; i < first.Length; i++) Assert.That(twice[i], Is.EqualTo(2 * first[i]).Within(1e-14), $"second pass at {i}");
    }

    [Test]
    public void TheCallersGradOutputIsNotWritten()
    {
        var x = Values(1, 4, 6); x.RequiresGrad = true;
        var y = (x * Values(2, 4, 6)).Sigmoid().Relu();   // the root itself is elementwise
        var upstream = Values(3, 4, 6);
        var before = upstream.ToArray();
        y.Backward(upstream);
        Assert.That(upstream.ToArray(), Is.EqualTo(before));
        Assert.That(x.Grad!.ToArray().Any(v => v != 0), Is.True);
    }

    [Test]
    public void AFunctionalGradOfAChainLinkKeepsItsOwnBuffer()
    {
        // Grad of an intermediate link: the pass captures that link's gradient, which an in-place write below it must
        // not change.
        var w = Values(2, 4, 6);
        var x = Values(1, 4, 6); x.RequiresGrad = true;
        var h = (x * w).Relu();
        var s = h.Sigmoid();
        var loss = s.Tanh().Mul(2.0).Sum();
        var grads = Functional.Grad([loss], [s, x]);
        var expectedS = s.ToArray().Select(v => 2 * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray();
        var gs = grads[0]!.ToArray();
        for (int i = 0; i < gs.Length; i++) Assert.That(gs[i], Is.EqualTo(expectedS[i]).Within(1e-14), $"d loss / d s at {i}");
        var hv = h.ToArray(); var wv = w.ToArray(); var gx = grads[1]!.ToArray();
        for (int i = 0; i < gx.Length; i++)
        {
            double sig = 1 / (1 + Math.Exp(-hv[i]));
            double expected = hv[i] > 0 ? expectedS[i] * sig * (1 - sig) * wv[i] : 0;
            Assert.That(gx[i], Is.EqualTo(expected).Within(1e-14), $"d loss / d x at {i}");
        }
    }
}
