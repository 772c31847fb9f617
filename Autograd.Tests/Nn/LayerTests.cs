using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class LayerTests
{
    [Test]
    public void LinearMapsTheLastAxis()
    {
        var layer = new Linear<float>(4, 3, rng: new Rng(1));
        Assert.That(layer.Weight.Shape, Is.EqualTo(new Shape(3, 4)));
        Assert.That(layer.Bias!.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(layer.Forward(Tensor.Zeros<float>(5, 4)).Shape, Is.EqualTo(new Shape(5, 3)));
        Assert.That(layer.Forward(Tensor.Zeros<float>(2, 5, 4)).Shape, Is.EqualTo(new Shape(2, 5, 3)));
        Assert.That(new Linear<float>(4, 3, bias: false).NamedParameters().Select(p => p.Key), Is.EqualTo(new[] { "weight" }));
    }

    [Test]
    public void LinearComputesXTimesWTransposedPlusB()
    {
        var layer = new Linear<double>(2, 2, rng: new Rng(1));
        layer.Weight[0, 0] = 1; layer.Weight[0, 1] = 2; layer.Weight[1, 0] = 3; layer.Weight[1, 1] = 4;
        layer.Bias![0] = 0.5; layer.Bias[1] = -1;
        var y = layer.Forward(Tensor.FromArray(new double[] { 1, 10 }, 1, 2));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1 + 20 + 0.5, 3 + 40 - 1.0 }));
    }

    [TestCase(3)]
    [TestCase(100)]
    public void LinearDefaultInitIsUniformWithinOneOverSqrtIn(int inFeatures)
    {
        var layer = new Linear<double>(inFeatures, 200, rng: new Rng(7));
        double bound = 1 / Math.Sqrt(inFeatures);
        foreach (var p in new[] { layer.Weight, layer.Bias! })
        {
            var v = p.ToArray();
            Assert.That(v, Is.All.InRange(-bound, bound));
            // ≥ 200 draws: the extremes of U(−b, b) come within 10% of ±b with probability > 1 − 2·0.95²⁰⁰.
            Assert.That(v.Max(), Is.GreaterThan(0.9 * bound));
            Assert.That(v.Min(), Is.LessThan(-0.9 * bound));
        }
    }

    [Test]
    public void LinearIsReproducibleFromTheSeedAndDiffersAcrossSeeds()
    {
        var a = new Linear<float>(5, 4, rng: new Rng(11));
        var b = new Linear<float>(5, 4, rng: new Rng(11));
        var c = new Linear<float>(5, 4, rng: new Rng(12));
        Assert.That(a.Weight.ToArray(), Is.EqualTo(b.Weight.ToArray()));
        Assert.That(a.Weight.ToArray(), Is.Not.EqualTo(c.Weight.ToArray()));
    }

    [Test]
    public void SequentialAppliesLayersInOrderAndIsIndexable()
    {
        var l1 = new Linear<double>(3, 4, rng: new Rng(1));
        var l2 = new Linear<double>(4, 2, rng: new Rng(2));
        var model = new Sequential<double> { l1, new ReLU<double>(), l2 };
        Assert.That(model.Count, Is.EqualTo(3));
        Assert.That(model[0], Is.SameAs(l1));
        Assert.That(model[2], Is.SameAs(l2));
        var x = Tensor.Normal<double>(new Shape(5, 3), 0, 1, new Rng(3));
        var expected = l2.Forward(l1.Forward(x).Relu());
        Assert.That(model.Forward(x).ToArray(), Is.EqualTo(expected.ToArray()));
        Assert.That(model.Forward(x).Shape, Is.EqualTo(new Shape(5, 2)));
    }

    [Test]
    public void DropoutIsTheIdentityInEvalMode()
    {
        var dropout = new Dropout<double>(0.5, new Rng(1));
        dropout.Eval();
        var x = Tensor.Normal<double>(new Shape(10, 10), 0, 1, new Rng(2));
        Assert.That(dropout.Forward(x).ToArray(), Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void DropoutInTrainModeZeroesAboutPAndScalesSurvivors()
    {
        const double p = 0.3;
        const int n = 20_000;
        var dropout = new Dropout<double>(p, new Rng(42));
        var x = Tensor.Full<double>(new Shape(n), 2.0);
        var y = dropout.Forward(x).ToArray();
        int zeros = y.Count(v => v == 0);
        // Binomial(n, p): sd = √(n·p·(1−p)) ≈ 65; 5 sd is ±324 elements.
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.That(zeros, Is.InRange(n * p - 5 * sd, n * p + 5 * sd));
        Assert.That(y.Where(v => v != 0), Is.All.EqualTo(2.0 / (1 - p)).Within(1e-12));
    }

    [Test]
    public void DropoutIsSeededAndItsGradientIsTheMask()
    {
        var x1 = Tensor.Ones<double>(50); x1.RequiresGrad = true;
        var y1 = new Dropout<double>(0.5, new Rng(9)).Forward(x1);
        var y2 = new Dropout<double>(0.5, new Rng(9)).Forward(Tensor.Ones<double>(50));
        Assert.That(y1.ToArray(), Is.EqualTo(y2.ToArray()));
        y1.Sum().Backward();
        Assert.That(x1.Grad!.ToArray(), Is.EqualTo(y1.ToArray()));   // y = x·mask with x = 1
    }

    [Test]
    public void DropoutEdgeProbabilities()
    {
        var x = Tensor.Full<float>(new Shape(100), 3f);
        Assert.That(new Dropout<float>(0, new Rng(1)).Forward(x), Is.SameAs(x));
        Assert.That(new Dropout<float>(1, new Rng(1)).Forward(x).ToArray(), Is.All.EqualTo(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout<float>(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout<float>(double.NaN));
    }

    [Test]
    public void ParametersSurviveTheTensorScopeTheyWereCreatedIn()
    {
        Linear<float> layer;
        using (TensorScope.Begin()) layer = new Linear<float>(3, 2);
        Assert.That(layer.Weight.IsDisposed, Is.False);
        Assert.That(layer.Forward(Tensor.Ones<float>(1, 3)).Shape, Is.EqualTo(new Shape(1, 2)));
    }
}
