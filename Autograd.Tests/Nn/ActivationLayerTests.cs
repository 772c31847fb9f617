using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>The activation modules are thin wrappers: each must equal its op and keep the input's shape.</summary>
public class ActivationLayerTests
{
    private static Tensor<double> Input() => Tensor.Normal<double>(new Shape(4, 5), 0, 2, new Rng(1));

    [Test]
    public void ActivationModulesMatchTheirOps()
    {
        var x = Input();
        var cases = new (Module<double> Module, Tensor<double> Expected)[]
        {
            (new ReLU<double>(), x.Relu()),
            (new LeakyReLU<double>(0.2), x.LeakyRelu(0.2)),
            (new LeakyReLU<double>(), x.LeakyRelu()),
            (new Sigmoid<double>(), x.Sigmoid()),
            (new Tanh<double>(), x.Tanh()),
            (new Softmax<double>(), x.Softmax(-1)),
            (new Softmax<double>(0), x.Softmax(0)),
            (new LogSoftmax<double>(), x.LogSoftmax(-1)),
            (new Identity<double>(), x),
        };
        foreach (var (module, expected) in cases)
        {
            var y = module.Forward(x);
            Assert.That(y.Shape, Is.EqualTo(x.Shape), module.ToString());
            Assert.That(y.ToArray(), Is.EqualTo(expected.ToArray()), module.ToString());
        }
    }

    [Test]
    public void LeakyReluValuesAreSlopeTimesNegatives()
    {
        var y = new LeakyReLU<double>(0.1).Forward(Tensor.FromArray(new[] { -2.0, 0.0, 3.0 }));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -0.2, 0.0, 3.0 }).Within(1e-15));
    }

    [Test]
    public void SoftmaxRowsSumToOne()
    {
        var y = new Softmax<double>().Forward(Input());
        for (int r = 0; r < 4; r++)
            Assert.That(Enumerable.Range(0, 5).Sum(c => y[r, c]), Is.EqualTo(1).Within(1e-12));
    }

    [Test]
    public void FlattenMergesTrailingAxes()
    {
        var x = Tensor.Zeros<float>(8, 1, 28, 28);
        Assert.That(new Flatten<float>().Forward(x).Shape, Is.EqualTo(new Shape(8, 784)));
        Assert.That(new Flatten<float>(2).Forward(x).Shape, Is.EqualTo(new Shape(8, 1, 784)));
        Assert.That(new Flatten<float>(0).Forward(x).Shape, Is.EqualTo(new Shape(8 * 784)));
    }

    [Test]
    public void ConvolutionFreeImageClassifierShapesAndSummary()
    {
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 8), new Tanh<float>(), new Dropout<float>(0.1),
            new Linear<float>(8, 3), new LogSoftmax<float>());
        Assert.That(model.Forward(Tensor.Zeros<float>(5, 1, 4, 4)).Shape, Is.EqualTo(new Shape(5, 3)));
        string summary = model.Summary(new Shape(5, 1, 4, 4));
        var lines = summary.Split('\n');
        Assert.That(lines.Single(l => l.Contains("0 (Flatten)")), Does.Contain("[5, 16]"));
        Assert.That(lines.Single(l => l.Contains("2 (Tanh)")), Does.Contain("[5, 8]"));
        Assert.That(lines.Single(l => l.Contains("5 (LogSoftmax)")), Does.Contain("[5, 3]"));
        Assert.That(summary, Does.Contain($"Total params: {16 * 8 + 8 + 8 * 3 + 3}"));
    }

    [Test]
    public void GradientsFlowThroughActivationModules()
    {
        var x = Input();
        x.RequiresGrad = true;
        new Sequential<double>(new Tanh<double>(), new Sigmoid<double>()).Forward(x).Sum().Backward();
        // d/dx σ(tanh x) = σ'(tanh x)·(1 − tanh² x)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
            {
                double t = Math.Tanh(x[i, j]), s = 1 / (1 + Math.Exp(-t));
                Assert.That(x.Grad![i, j], Is.EqualTo(s * (1 - s) * (1 - t * t)).Within(1e-12));
            }
    }
}
