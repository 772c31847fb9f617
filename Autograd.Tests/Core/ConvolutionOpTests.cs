using Autograd.Kernels;
using Autograd.Tests.Kernels;
using static Autograd.Tests.Kernels.ConvolutionKernelTests;

namespace Autograd.Tests.Core;

/// <summary>
/// The Conv2d and Conv1d ops against the direct float64 convolution of the kernel tests (forward, and the gradients of
/// x, weight and bias through the tape), second derivatives through the recorded ConvBackwardData/ConvBackwardWeight
/// against finite differences of the tape's gradient, and the errors that name the op and the shapes.
/// </summary>
public class ConvolutionOpTests
{
    public static IEnumerable<Case> Cases => ConvolutionKernelTests.Cases;

    [TestCaseSource(nameof(Cases))]
    public void Conv2dAndItsGradientsMatchTheDirectConvolution(Case c)
    {
        var g = c.Geometry;
        var rng = new Rng(5);
        var x = Tensor.Uniform<double>(new Shape(c.N, c.C, c.H, c.W), -1, 1, rng);
        var w = Tensor.Uniform<double>(new Shape(c.O, c.C / c.Groups, c.KH, c.KW), -1, 1, rng);
        var b = Tensor.Uniform<double>(new Shape(c.O), -1, 1, rng);
        var dy = Tensor.Uniform<double>(new Shape(c.N, c.O, g.OutHeight, g.OutWidth), -1, 1, rng);
        x.RequiresGrad = w.RequiresGrad = b.RequiresGrad = true;

        var y = x.Conv2d(w, b, c.Stride, c.Padding, c.Dilation, c.Groups);
        Assert.That(y.Shape, Is.EqualTo(dy.Shape));
        AssertClose(y.ToArray(), Reference.Forward(g, x.ToArray(), w.ToArray(), b.ToArray()), 1e-12, "y");
        y.Backward(dy);
        AssertClose(x.Grad!.ToArray(), Reference.BackwardData(g, dy.ToArray(), w.ToArray()), 1e-12, "dx");
        var (dw, db) = Reference.BackwardWeight(g, x.ToArray(), dy.ToArray());
        AssertClose(w.Grad!.ToArray(), dw, 1e-12, "dW");
        AssertClose(b.Grad!.ToArray(), db, 1e-12, "db");
    }

    [Test]
    public void Conv1dIsTheHeightOneCaseOfTheDirectConvolution()
    {
        var rng = new Rng(6);
        var x = Tensor.Uniform<double>(new Shape(2, 6, 15), -1, 1, rng);
        var w = Tensor.Uniform<double>(new Shape(4, 3, 4), -1, 1, rng);
        var b = Tensor.Uniform<double>(new Shape(4), -1, 1, rng);
        x.RequiresGrad = w.RequiresGrad = b.RequiresGrad = true;
        var g = new ConvGeometry(2, 6, 1, 15, 4, 1, 4, (1, 2), (0, 3), (1, 2), 2);

        var y = x.Conv1d(w, b, stride: 2, padding: 3, dilation: 2, groups: 2);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 4, g.OutWidth)));
        AssertClose(y.ToArray(), Reference.Forward(g, x.ToArray(), w.ToArray(), b.ToArray()), 1e-12, "y");
        var dy = Tensor.Uniform<double>(y.Shape, -1, 1, rng);
        y.Backward(dy);
        AssertClose(x.Grad!.ToArray(), Reference.BackwardData(g, dy.ToArray(), w.ToArray()), 1e-12, "dx");
        AssertClose(w.Grad!.ToArray(), Reference.BackwardWeight(g, x.ToArray(), dy.ToArray()).Weight, 1e-12, "dW");
    }

    [Test]
    public void Float32Conv2dMatchesFloat64()
    {
        var rng = new Rng(7);
        var x = Tensor.Uniform<double>(new Shape(3, 32, 14, 14), -1, 1, rng);
        var w = Tensor.Uniform<double>(new Shape(64, 32, 3, 3), -0.1, 0.1, rng);
        var y64 = x.Conv2d(w, padding: 1).ToArray();
        var y32 = Tensor.Convert<double, float>(x).Conv2d(Tensor.Convert<double, float>(w), padding: 1).ToArray();
        AssertClose(y32.Select(v => (double)v).ToArray(), y64, 1e-5, "float32 y");
    }

    // A gradient penalty P(x, W) = ‖∂/∂x Σ tanh(conv(x, W))‖²: its gradient goes through the recorded ConvBackwardData and
    // ConvBackwardWeight (and their own rules, the convolutions). Against central differences of P, each P evaluated
    // with a first-order gradient.
    [Test]
    public void GradientOfAGradientPenaltyThroughConvolutionsMatchesFiniteDifferences()
    {
        var rng = new Rng(8);
        var x = Tensor.Uniform<double>(new Shape(2, 3, 5, 5), -1, 1, rng);
        var w = Tensor.Uniform<double>(new Shape(4, 3, 3, 3), -1, 1, rng);
        x.RequiresGrad = w.RequiresGrad = true;
        Tensor<double> Penalty(bool createGraph)
        {
            var y = x.Conv2d(w, null, stride: 2, padding: 1).Tanh();
            return Functional.Grad([y.Sum()], [x], null, createGraph: createGraph)[0]!.Square().Sum();
        }
        Penalty(createGraph: true).Backward();
        foreach (var (p, name) in new[] { (x, "x"), (w, "W") })
        {
            var analytic = p.Grad!.ToArray();
            var values = p.AsSpan();
            for (int j = 0; j < values.Length; j++)
            {
                double saved = values[j];
                values[j] = saved + 1e-6; double plus = Penalty(false).Item();
                values[j] = saved - 1e-6; double minus = Penalty(false).Item();
                values[j] = saved;
                double numeric = (plus - minus) / 2e-6;
                Assert.That(analytic[j], Is.EqualTo(numeric).Within(1e-5 + 1e-4 * Math.Abs(numeric)), $"d penalty / d{name}[{j}]");
            }
        }
    }

    [Test]
    public void ChannelMismatchNamesTheOpAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3, 8, 8).Conv2d(Tensor.Zeros<float>(4, 2, 3, 3)))!;
        Assert.That(e.Message, Does.StartWith("Conv2d:").And.Contain("[2, 3, 8, 8]").And.Contain("[4, 2, 3, 3]").And.Contain("3 channels"));
        var grouped = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(1, 4, 5, 5).Conv2d(Tensor.Zeros<float>(6, 1, 3, 3), groups: 2))!;
        Assert.That(grouped.Message, Does.Contain("expects 1·groups = 2"));
        var oneD = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3, 8).Conv1d(Tensor.Zeros<float>(4, 5, 3)))!;
        Assert.That(oneD.Message, Does.StartWith("Conv1d:").And.Contain("[2, 3, 8]").And.Contain("[4, 5, 3]"));
    }

    [Test]
    public void KernelLargerThanThePaddedInputIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(1, 2, 3, 3).Conv2d(Tensor.Zeros<float>(2, 2, 5, 5)))!;
        Assert.That(e.Message, Does.StartWith("Conv2d:").And.Contain("spans 5 positions").And.Contain("[1, 2, 3, 3]").And.Contain("[2, 2, 5, 5]"));
        var dilated = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(1, 1, 6, 9).Conv2d(Tensor.Zeros<float>(1, 1, 3, 3), dilation: 4))!;
        Assert.That(dilated.Message, Does.Contain("dilation (4, 4)").And.Contain("spans 9 positions along the height"));
        // With padding 1 the same 5×5 kernel fits the 3×3 input (3 + 2 = 5).
        Assert.That(Tensor.Zeros<float>(1, 2, 3, 3).Conv2d(Tensor.Zeros<float>(2, 2, 5, 5), padding: 1).Shape, Is.EqualTo(new Shape(1, 2, 1, 1)));
    }

    [TestCase(0, 1, 1, 0, "stride must be positive")]
    [TestCase(1, -1, 1, 0, "padding must be ≥ 0")]
    [TestCase(1, 0, 0, 0, "dilation must be positive")]
    [TestCase(1, 0, 1, 1, "bias must be [4]")]
    public void BadSettingsAreNamed(int stride, int padding, int dilation, int badBias, string message)
    {
        var bias = Tensor.Zeros<float>(badBias == 1 ? 3 : 4);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(1, 2, 6, 6).Conv2d(Tensor.Zeros<float>(4, 2, 3, 3), bias, stride, padding, dilation))!;
        Assert.That(e.Message, Does.StartWith("Conv2d:").And.Contain(message));
    }

    [Test]
    public void RankErrorsSayWhatLayoutIsExpected()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3, 8).Conv2d(Tensor.Zeros<float>(4, 3, 3, 3)))!.Message,
            Does.Contain("the input must be 4-D [N, C, H, W], got [2, 3, 8]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3, 8).Conv1d(Tensor.Zeros<float>(4, 3, 3, 3)))!.Message,
            Does.Contain("the weight must be 3-D [O, C/groups, k], got [4, 3, 3, 3]"));
    }
}
