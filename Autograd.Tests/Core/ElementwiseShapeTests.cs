namespace Autograd.Tests.Core;

/// <summary>Forward semantics, conventions at kinks, stability and views of the elementwise and shape ops.</summary>
public class ElementwiseShapeTests
{
    // No shape: 1-D (FromArray with an empty shape is rank 0).
    private static Tensor<double> Leaf(double[] values, params int[] shape) =>
        shape.Length == 0 ? Tensor.FromArray(values, requiresGrad: true) : Tensor.FromArray(values, shape, requiresGrad: true);

    private static Tensor<double> Iota(params int[] shape)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = i;
        return t;
    }

    [Test]
    public void SigmoidSaturatesWithoutNaNInFloatAndDouble()
    {
        var yd = Tensor.FromArray([-1e4, 1e4, -800, 800]).Sigmoid().ToArray();
        Assert.That(yd, Is.EqualTo(new[] { 0.0, 1, 0, 1 }));
        var yf = Tensor.FromArray([-1e4f, 1e4f, -100f, 100f]).Sigmoid().ToArray();
        Assert.That(yf, Is.EqualTo(new[] { 0f, 1, 0, 1 }));
    }

    [Test]
    public void SigmoidGradientAtSaturationIsFiniteZero()
    {
        var x = Leaf([-1e4, 1e4]);
        x.Sigmoid().Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void TanhSaturatesWithoutNaNInFloatAndDouble()
    {
        Assert.That(Tensor.FromArray([-1e4, 1e4]).Tanh().ToArray(), Is.EqualTo(new[] { -1.0, 1 }));
        Assert.That(Tensor.FromArray([-1e4f, 1e4f]).Tanh().ToArray(), Is.EqualTo(new[] { -1f, 1 }));
        var x = Leaf([-1e4, 1e4]);
        x.Tanh().Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void SigmoidAndTanhMatchTheMathLibrary()
    {
        double[] v = [-3, -0.5, 0, 0.25, 4];
        var s = Tensor.FromArray(v).Sigmoid().ToArray();
        var t = Tensor.FromArray(v).Tanh().ToArray();
        for (int i = 0; i < v.Length; i++)
        {
            Assert.That(s[i], Is.EqualTo(1 / (1 + Math.Exp(-v[i]))).Within(1e-14));
            Assert.That(t[i], Is.EqualTo(Math.Tanh(v[i])).Within(1e-14));
        }
    }

    [Test]
    public void ScalarOperatorsComputeBothOrders()
    {
        var x = Tensor.FromArray([1.0, 2, 4]);
        Assert.That((x + 1).ToArray(), Is.EqualTo(new[] { 2.0, 3, 5 }));
        Assert.That((1 + x).ToArray(), Is.EqualTo(new[] { 2.0, 3, 5 }));
        Assert.That((x - 1).ToArray(), Is.EqualTo(new[] { 0.0, 1, 3 }));
        Assert.That((1 - x).ToArray(), Is.EqualTo(new[] { 0.0, -1, -3 }));
        Assert.That((x * 2).ToArray(), Is.EqualTo(new[] { 2.0, 4, 8 }));
        Assert.That((2 * x).ToArray(), Is.EqualTo(new[] { 2.0, 4, 8 }));
        Assert.That((x / 2).ToArray(), Is.EqualTo(new[] { 0.5, 1, 2 }));
        Assert.That((2 / x).ToArray(), Is.EqualTo(new[] { 2.0, 1, 0.5 }));
    }

    [Test]
    public void ClampPassesGradientOnTheBoundsAndNotOutside()
    {
        var x = Leaf([-2, -1, 0, 1, 2]);
        var y = x.Clamp(-1.0, 1.0);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -1.0, -1, 0, 1, 1 }));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 1, 1, 1, 0 }));
    }

    [Test]
    public void AbsAndLeakyReluConventionsAtZero()
    {
        var x = Leaf([-2, 0, 3]);
        x.Abs().Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { -1.0, 0, 1 }));
        x.ZeroGrad();
        var y = x.LeakyRelu(0.1);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -0.2, 0, 3 }).Within(1e-15));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.1, 0.1, 1 }));
    }

    [Test]
    public void PowGradientsAreFiniteAtZeroBase()
    {
        // d(x^p)/dp = x^p·ln x → 0 at x = 0 (p > 0), and d(x^0)/dx = 0 even at x = 0.
        var x = Leaf([0.0, 2]);
        var p = Leaf([2.0, 0]);
        x.Pow(p).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 0 }));
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, Math.Log(2) }).Within(1e-15));
        var z = Leaf([0.0]);
        z.Pow(0.0).Sum().Backward();
        Assert.That(z.Grad!.ToArray(), Is.EqualTo(new[] { 0.0 }));
    }

    [Test]
    public void ReshapeAndSliceAreViewsOfTheInput()
    {
        var x = Iota(4, 3);
        var r = x.Reshape(2, -1);
        var s = x.Slice(1, 2);
        Assert.That(r.Shape, Is.EqualTo(new Shape(2, 6)));
        Assert.That(s.ToArray(), Is.EqualTo(new[] { 3.0, 4, 5, 6, 7, 8 }));
        x[1, 0] = 100;
        Assert.That(r[0, 3], Is.EqualTo(100));
        Assert.That(s[0, 0], Is.EqualTo(100));
        Assert.That(x.Flatten(0).Shape, Is.EqualTo(new Shape(12)));
    }

    [Test]
    public void TransposeMatchesIndexing([Values(1, 31, 32, 33, 70)] int rows, [Values(1, 5, 64, 65)] int cols)
    {
        var x = Iota(2, rows, cols);
        var y = x.Transpose();
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, cols, rows)));
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    Assert.That(y[b, j, i], Is.EqualTo(x[b, i, j]));
    }

    [Test]
    public void PermuteMatchesIndexingAndInverseRestores()
    {
        var x = Iota(2, 3, 4, 5);
        var y = x.Permute(2, 0, 3, 1);
        Assert.That(y.Shape, Is.EqualTo(new Shape(4, 2, 5, 3)));
        for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) for (int c = 0; c < 4; c++) for (int d = 0; d < 5; d++)
            Assert.That(y[c, a, d, b], Is.EqualTo(x[a, b, c, d]));
        // inverse of (2, 0, 3, 1) is (1, 3, 0, 2)
        Assert.That(y.Permute(1, 3, 0, 2).ToArray(), Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void ConcatJoinsAlongTheAxis()
    {
        var a = Tensor.FromArray([1.0, 2, 3, 4], 2, 2);
        var b = Tensor.FromArray([5.0, 6], 2, 1);
        Assert.That(Ops.Concat([a, b], 1).ToArray(), Is.EqualTo(new[] { 1.0, 2, 5, 3, 4, 6 }));
        Assert.That(Ops.Concat([a, a], 0).ToArray(), Is.EqualTo(new[] { 1.0, 2, 3, 4, 1, 2, 3, 4 }));
    }

    [Test]
    public void ConcatBackwardSplitsTheGradient()
    {
        var a = Leaf([1.0, 2], 1, 2);
        var b = Leaf([3.0, 4, 5, 6], 2, 2);
        var w = Tensor.FromArray([10.0, 20, 30, 40, 50, 60], 3, 2);
        (Ops.Concat([a, b], 0) * w).Sum().Backward();
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 10.0, 20 }));
        Assert.That(b.Grad!.ToArray(), Is.EqualTo(new[] { 30.0, 40, 50, 60 }));
    }

    [Test]
    public void ConcatAndStackAreExtensionsOfTheTensorsThatLinqCannotTake()
    {
        var a = Tensor.FromArray([1.0, 2, 3, 4], 2, 2);
        var b = Tensor.FromArray([5.0, 6], 2, 1);
        Tensor<double>[] pair = [a, b];
        Assert.That(pair.Concat(axis: 1).ToArray(), Is.EqualTo(new[] { 1.0, 2, 5, 3, 4, 6 }));
        var list = new List<Tensor<double>> { a, a };
        Assert.That(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list).Stack(axis: 0).Shape, Is.EqualTo(new Shape(2, 2, 2)));
        // A sequence argument is LINQ's Concat (two tensors in a row), an int is the op: the same call cannot mean both.
        IEnumerable<Tensor<double>> appended = pair.Concat(new[] { a });
        Assert.That(appended.Count(), Is.EqualTo(3));
    }

    [Test]
    public void ConcatAndStackExtensionFormsNameTheOpAndTheShapes()
    {
        Tensor<double>[] mismatched = [Tensor.Zeros<double>(2, 3), Tensor.Zeros<double>(2, 4)];
        var concat = Assert.Throws<ArgumentException>(() => mismatched.Concat(axis: 0))!;
        Assert.That(concat.Message, Does.StartWith("Concat:").And.Contain("[2, 3]").And.Contain("[2, 4]"));
        var stack = Assert.Throws<ArgumentException>(() => mismatched.Stack(axis: 0))!;
        Assert.That(stack.Message, Does.StartWith("Stack:").And.Contain("[2, 3]").And.Contain("[2, 4]"));
        Tensor<double>[] withNull = [Tensor.Zeros<double>(2), null!];
        var missing = Assert.Throws<ArgumentNullException>(() => withNull.Concat(axis: 0))!;
        Assert.That(missing.ParamName, Is.EqualTo("tensors"));
        Assert.That(missing.Message, Does.Contain("Concat: tensor 1 of 2 is null"));
        Assert.That(Assert.Throws<ArgumentException>(() => Array.Empty<Tensor<double>>().Stack(axis: 0))!.Message, Does.StartWith("Stack:"));
    }

    [Test]
    public void ShapeOpsRecordNothingUnderNoGrad()
    {
        var x = Leaf([1.0, 2, 3, 4], 2, 2);
        using (Grad.NoGrad())
        {
            Assert.That(x.Reshape(4).RequiresGrad, Is.False);
            Assert.That(x.Transpose().RequiresGrad, Is.False);
            Assert.That(Ops.Concat([x, x], 0).RequiresGrad, Is.False);
            Assert.That(x.Sigmoid().RequiresGrad, Is.False);
        }
        Assert.That(x.Slice(0, 1).RequiresGrad, Is.True);
    }
}
