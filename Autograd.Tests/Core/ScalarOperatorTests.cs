namespace Autograd.Tests.Core;

/// <summary>
/// Tensor ∘ double operators: <c>x * 0.5</c>, <c>0.5 * x</c>, <c>x + 1.0</c>, <c>x / 2.0</c>, <c>1.0 - x</c> on float and
/// double tensors, gradient-checked in float64 and equal, in float32, to the same expression with the float scalar.
/// </summary>
public class ScalarOperatorTests
{
    private static readonly (string Name, Func<Tensor<double>, Tensor<double>> OfDouble, Func<Tensor<float>, Tensor<float>> OfFloat, Func<Tensor<float>, Tensor<float>> WithFloatScalar)[] Forms =
    [
        ("x * 0.5", x => x * 0.5, x => x * 0.5, x => x * 0.5f),
        ("0.5 * x", x => 0.5 * x, x => 0.5 * x, x => 0.5f * x),
        ("x + 1.0", x => x + 1.0, x => x + 1.0, x => x + 1f),
        ("1.0 + x", x => 1.0 + x, x => 1.0 + x, x => 1f + x),
        ("x - 0.1", x => x - 0.1, x => x - 0.1, x => x - 0.1f),
        ("1.0 - x", x => 1.0 - x, x => 1.0 - x, x => 1f - x),
        ("x / 2.0", x => x / 2.0, x => x / 2.0, x => x / 2f),
        ("3.0 / x", x => 3.0 / x, x => 3.0 / x, x => 3f / x),
    ];

    private static IEnumerable<TestCaseData> Cases() => Forms.Select((f, i) => new TestCaseData(i).SetName($"Double scalar operator {f.Name}"));

    [TestCaseSource(nameof(Cases))]
    public void GradientChecksInFloat64(int form)
    {
        var x = Tensor.FromArray([0.5, 1.25, 2.0, 3.5, 0.75, 1.5], [2, 3], requiresGrad: true);
        GradCheck.Assert(xs => Forms[form].OfDouble(xs[0]).Square().Sum(), [x]);
        GradCheck.AssertGradGrad(xs => Forms[form].OfDouble(xs[0]).Square().Sum(), [x]);
    }

    [TestCaseSource(nameof(Cases))]
    public void OnFloatTensorsTheyAreTheFloatScalarOps(int form)
    {
        // 0.1 is not a float: the double is rounded to float once, so the result is bit for bit the 0.1f expression.
        float[] values = [0.5f, 1.25f, 2f, 3.5f, 0.75f, 1.5f];
        var a = Tensor.FromArray(values, [2, 3], requiresGrad: true);
        var b = Tensor.FromArray(values, [2, 3], requiresGrad: true);
        var ya = Forms[form].OfFloat(a);
        var yb = Forms[form].WithFloatScalar(b);
        Assert.That(ya.ToArray(), Is.EqualTo(yb.ToArray()));
        ya.Square().Sum().Backward();
        yb.Square().Sum().Backward();
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(b.Grad!.ToArray()));
        Assert.That(a.Grad!.ToArray(), Has.Some.Not.Zero);
    }

    [Test]
    public void AFiniteDoubleBeyondFloatRangeIsAnErrorNotAnInfinity()
    {
        var x = Tensor.Ones<float>(2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = x * 1e300)!;
        Assert.That(e.Message, Does.Contain("MulScalar").And.Contain("1E+300").And.Contain("float32"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = 1e39 - x)!.Message, Does.Contain("RSubScalar"));
        // In float64 the same scalar is representable, and a NaN or an infinity passes as with the T operators.
        Assert.That((Tensor.Ones<double>(2) * 1e300).ToArray(), Is.EqualTo(new[] { 1e300, 1e300 }));
        Assert.That((x * double.PositiveInfinity).ToArray(), Is.EqualTo(new[] { float.PositiveInfinity, float.PositiveInfinity }));
        Assert.That((x + double.NaN).ToArray(), Has.All.NaN);
    }
}
