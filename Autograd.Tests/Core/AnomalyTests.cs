using System.Runtime.CompilerServices;

namespace Autograd.Tests.Core;

/// <summary><see cref="Grad.DetectAnomaly"/>: the first non-finite forward value or gradient names its op.</summary>
[NonParallelizable]   // the switch is process-wide
public class AnomalyTests
{
    [TearDown]
    public void Reset()
    {
        Grad.DetectAnomaly = false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]   // its name must show in the recorded site
    private static Tensor<double> DivideByZero(bool requiresGrad)
    {
        var x = Tensor.FromArray(new[] { 1.0, 2 });
        x.RequiresGrad = requiresGrad;
        return x.Div(Tensor.Zeros<double>(2));
    }

    // y = a / b is finite (1e10), but its backward computes y/b = 1e310 = ∞ for b's gradient and multiplies
    // it by the incoming gradient 0 (from y·0): ∞·0 = NaN in Div's backward, with every forward value finite.
    private static (Tensor<double> Loss, Tensor<double> B) NaNInDivBackward()
    {
        var a = Tensor.FromArray(new[] { 1e-290 });
        var b = Tensor.FromArray(new[] { 1e-300 });
        a.RequiresGrad = b.RequiresGrad = true;
        var loss = (a.Div(b) * Tensor.Zeros<double>(1)).Sum();
        return (loss, b);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ForwardInfinityNamesTheOp(bool requiresGrad)
    {
        try
        {
            Grad.DetectAnomaly = true;
            var ex = Assert.Throws<AnomalyException>(() => DivideByZero(requiresGrad));
            Assert.That(ex!.Message, Does.Contain("Div").And.Contain("forward output"));
            Assert.That(ex.Message, Does.Contain(nameof(DivideByZero)), "the recording site is part of the message");
        }
        finally { Grad.DetectAnomaly = false; }
    }

    [Test]
    public void ForwardInfinityPassesSilentlyWithoutAnomalyMode()
    {
        Assert.That(Grad.DetectAnomaly, Is.False);
        var y = DivideByZero(requiresGrad: true);
        Assert.That(y.ToArray(), Is.All.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void BackwardNaNNamesTheOpsBackward()
    {
        try
        {
            Grad.DetectAnomaly = true;
            var (loss, _) = NaNInDivBackward();   // the forward is finite: no exception yet
            Assert.That(loss.Item(), Is.EqualTo(0.0));
            var ex = Assert.Throws<AnomalyException>(() => loss.Backward());
            Assert.That(ex!.Message, Does.Contain("Div").And.Contain("backward").And.Contain("NaN").And.Contain("second input"));
        }
        finally { Grad.DetectAnomaly = false; }
    }

    [Test]
    public void BackwardNaNPassesSilentlyWithoutAnomalyMode()
    {
        var (loss, b) = NaNInDivBackward();
        loss.Backward();
        Assert.That(double.IsNaN(b.Grad![0]), Is.True);
    }

    [Test]
    public void AfterAnAnomalyTheTapeStillWorks()
    {
        try
        {
            Grad.DetectAnomaly = true;
            var (loss, _) = NaNInDivBackward();
            Assert.Throws<AnomalyException>(() => loss.Backward());
        }
        finally { Grad.DetectAnomaly = false; }
        var x = Tensor.FromArray(new[] { 3.0 });
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(6.0));
    }
}
