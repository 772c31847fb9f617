namespace Autograd.Tests.Core;

public class TapeTests
{
    private static Tensor<double> Leaf(params double[] v)
    {
        var t = Tensor.FromArray(v);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void GradientsAccumulateUntilZeroGrad()
    {
        var x = Leaf(1, 2, 3);
        (x * x).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 4.0, 8, 12 }));
        x.ZeroGrad();
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 4, 6 }));
    }

    [Test]
    public void SecondBackwardOnFreedGraphThrows()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Sum();
        y.Backward();
        var ex = Assert.Throws<GraphFreedException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("retainGraph"));
    }

    [Test]
    public void RetainGraphAllowsSecondBackward()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 4.0, 8 }));
    }
}
