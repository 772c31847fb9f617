namespace Autograd.Tests.Core;

/// <summary>
/// Values and tie rules of the issue #13 ops that the gradient sweep cannot pin down: what IndexSelect, Gather,
/// Embedding, Where, Stack, Min/ArgMin, Squeeze/Unsqueeze and the pooling ops compute, where ties send the gradient,
/// and the errors for bad indices and shapes (naming the op and the values).
/// </summary>
public class IndexingAndPoolingOpTests
{
    private static Tensor<double> Range(params int[] shape) =>
        Tensor.FromArray(Enumerable.Range(0, new Shape(shape).Length).Select(i => (double)i).ToArray(), shape);

    [Test]
    public void IndexSelectGatherAndEmbeddingPickTheIndexedElements()
    {
        var x = Range(3, 4);   // rows 0..3, 4..7, 8..11
        Assert.That(x.IndexSelect(0, [2, 0, 2]).ToArray(), Is.EqualTo(new double[] { 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11 }));
        Assert.That(x.IndexSelect(1, [3, 0]).ToArray(), Is.EqualTo(new double[] { 3, 0, 7, 4, 11, 8 }));
        var gathered = x.Gather(1, [1, 1, 0, 3, 2, 2]);
        Assert.That(gathered.Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(gathered.ToArray(), Is.EqualTo(new double[] { 1, 1, 4, 7, 10, 10 }));
        Assert.That(x.Gather(0, [2, 0, 1, 1]).ToArray(), Is.EqualTo(new double[] { 8, 1, 6, 7 }));

        var table = Range(5, 2);
        var e = table.Embedding([4, 0, 1, 4, 2, 3], 2, 3);
        Assert.That(e.Shape, Is.EqualTo(new Shape(2, 3, 2)));
        Assert.That(e.ToArray(), Is.EqualTo(new double[] { 8, 9, 0, 1, 2, 3, 8, 9, 4, 5, 6, 7 }));
    }

    [Test]
    public void EmbeddingGradientScatterAddsRepeatedRows()
    {
        var table = Range(4, 3);
        table.RequiresGrad = true;
        var y = table.Embedding([2, 0, 2, 2]);
        y.Backward(Tensor.FromArray(Enumerable.Range(1, 12).Select(i => (double)i).ToArray(), 4, 3));
        // Row 2 gets rows 0, 2 and 3 of the output gradient, row 0 gets row 1, rows 1 and 3 nothing.
        Assert.That(table.Grad!.ToArray(), Is.EqualTo(new double[] { 4, 5, 6, 0, 0, 0, 1 + 7 + 10, 2 + 8 + 11, 3 + 9 + 12, 0, 0, 0 }));
    }

    [Test]
    public void IndicesOutOfRangeNameTheOpThePositionAndTheValue()
    {
        var x = Range(3, 4);
        foreach (var (op, call, value) in new (string, Action, string)[]
                 {
                     ("IndexSelect", () => x.IndexSelect(1, [0, 4]), "index 4 at position 1"),
                     ("IndexSelect", () => x.IndexSelect(0, [-1]), "index -1 at position 0"),
                     ("Gather", () => x.Gather(0, [0, 1, 3, 0]), "index 3 at position 2"),
                     ("Embedding", () => x.Embedding([1, 7]), "index 7 at position 1"),
                 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => call())!;
            Assert.That(e.Message, Does.StartWith(op + ":").And.Contain(value).And.Contain("[3, 4]"));
        }
        Assert.That(Assert.Throws<ArgumentException>(() => x.Gather(1, [0, 1, 2, 3, 0]))!.Message,
            Does.StartWith("Gather:").And.Contain("5 elements, not a multiple of 3"));
        Assert.That(Assert.Throws<ArgumentException>(() => x.Embedding([1, 2, 0], 2, 2))!.Message,
            Does.StartWith("Embedding:").And.Contain("3 indices do not fill the index shape [2, 2]"));
    }

    [Test]
    public void RecordedIndicesAreTheOpsOwnCopy()
    {
        var x = Range(3, 2);
        x.RequiresGrad = true;
        int[] indices = [2, 2];
        var y = x.IndexSelect(0, indices);
        indices[0] = 0;   // the caller reuses its array before Backward
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new double[] { 0, 0, 0, 0, 2, 2 }));
    }

    [Test]
    public void WhereSelectsAndAnUnselectedInfinityDoesNotPoisonTheGradient()
    {
        var a = Tensor.FromArray(new[] { 1.0, double.PositiveInfinity, 3 }, 3);
        var b = Tensor.FromArray(new[] { -1.0, -2, -3 }, 3);
        a.RequiresGrad = b.RequiresGrad = true;
        var mask = Tensor.FromArray(new[] { 1.0, 0, 1 }, 3);
        var y = Ops.Where(mask, a, b);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1.0, -2, 3 }));
        y.Mul(Tensor.FromArray(new[] { 10.0, 20, 30 }, 3)).Sum().Backward();
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 10.0, 0, 30 }));
        Assert.That(b.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 20, 0 }));
        Assert.That(Assert.Throws<ArgumentException>(() => Ops.Where(Tensor.Zeros<double>(2), a, b))!.Message, Does.StartWith("Where:").And.Contain("[2]"));
    }

    [Test]
    public void StackAddsAnAxisAndChecksShapes()
    {
        var a = Range(2, 3); var b = a.Add(100.0);
        Assert.That(Ops.Stack([a, b], 0).ToArray(), Is.EqualTo(a.ToArray().Concat(b.ToArray())));
        var last = Ops.Stack([a, b], -1);
        Assert.That(last.Shape, Is.EqualTo(new Shape(2, 3, 2)));
        Assert.That(last[1, 2, 1], Is.EqualTo(105));
        Assert.That(Ops.Stack([a, b], 1).Shape, Is.EqualTo(new Shape(2, 2, 3)));
        var e = Assert.Throws<ArgumentException>(() => Ops.Stack([a, Range(3, 2)], 0))!;
        Assert.That(e.Message, Does.StartWith("Stack:").And.Contain("[3, 2]").And.Contain("[2, 3]"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Stack([a, b], 3))!.Message, Does.StartWith("Stack:"));
    }

    [Test]
    public void MinAndArgMinMirrorMaxWithTheFirstTieWinning()
    {
        var x = Tensor.FromArray(new[] { 3.0, 1, 1, 2, 0, 5, 0, 7 }, 2, 4);
        Assert.That(x.Min().Item(), Is.EqualTo(0));
        Assert.That(x.Min(1).ToArray(), Is.EqualTo(new[] { 1.0, 0 }));
        Assert.That(x.Min(0).ToArray(), Is.EqualTo(new[] { 0.0, 1, 0, 2 }));
        Assert.That(x.ArgMin(1), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(x.ArgMin(0), Is.EqualTo(new[] { 1, 0, 1, 0 }));
        x.RequiresGrad = true;
        x.Min(1).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 1, 0, 0, 1, 0, 0, 0 }), "the first of two equal minima gets the gradient");
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros<double>(2, 0).Min(1))!.Message, Does.StartWith("Min:").And.Contain("minimum"));
    }

    [Test]
    public void SqueezeAndUnsqueezeAreViewsThatCheckTheirAxis()
    {
        var x = Range(3, 1, 2);
        Assert.That(x.Squeeze(1).Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(Range(1, 3, 1).Squeeze().Shape, Is.EqualTo(new Shape(3)));
        Assert.That(x.Unsqueeze(0).Shape, Is.EqualTo(new Shape(1, 3, 1, 2)));
        Assert.That(x.Unsqueeze(-1).Shape, Is.EqualTo(new Shape(3, 1, 2, 1)));
        Assert.That(x.Unsqueeze(3).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.That(Assert.Throws<ArgumentException>(() => x.Squeeze(0))!.Message, Does.StartWith("Squeeze:").And.Contain("size 3"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(4))!.Message, Does.StartWith("Unsqueeze:").And.Contain("-4 to 3"));
    }

    [Test]
    public void MaxPoolTiesSendTheWholeGradientToTheFirstMaximum()
    {
        // Every 2×2 window is constant: PyTorch gives each window's gradient to its first element (row-major).
        foreach (var precision in new[] { "float64", "float32 (vector path)" })
        {
            double[] grad;
            if (precision == "float64")
            {
                var x = Tensor.Full(new Shape(1, 1, 4, 4), 2.0);
                x.RequiresGrad = true;
                x.MaxPool2d(2).Sum().Backward();
                grad = x.Grad!.ToArray();
            }
            else
            {
                var x = Tensor.Full(new Shape(1, 1, 4, 4), 2f);
                x.RequiresGrad = true;
                x.MaxPool2d(2).Sum().Backward();
                grad = x.Grad!.ToArray().Select(v => (double)v).ToArray();
            }
            Assert.That(grad, Is.EqualTo(new double[] { 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0 }), precision);
        }
    }

    [Test]
    public void PoolingValuesFollowPyTorch()
    {
        var x = Range(1, 1, 4, 4);
        Assert.That(x.MaxPool2d(2).ToArray(), Is.EqualTo(new double[] { 5, 7, 13, 15 }));
        Assert.That(x.AvgPool2d(2).ToArray(), Is.EqualTo(new double[] { 2.5, 4.5, 10.5, 12.5 }));
        // count_include_pad: the corner window of a 3×3 kernel with padding 1 sums 0 + 1 + 4 + 5 and divides by 9.
        Assert.That(x.AvgPool2d(3, stride: 2, padding: 1)[0, 0, 0, 0], Is.EqualTo(10 / 9.0).Within(1e-15));
        Assert.That(x.MaxPool2d(3, stride: 2, padding: 1).ToArray(), Is.EqualTo(new double[] { 5, 7, 13, 15 }));
        Assert.That(x.AdaptiveAvgPool2d().ToArray(), Is.EqualTo(new[] { 7.5 }));
    }

    [Test]
    public void PoolingErrorsNameTheOpAndTheShapes()
    {
        var x = Range(1, 2, 3, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => x.MaxPool2d(4))!.Message,
            Does.StartWith("MaxPool2d:").And.Contain("larger than the padded input (3, 3) of [1, 2, 3, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => x.AvgPool2d(2, padding: 2))!.Message,
            Does.StartWith("AvgPool2d:").And.Contain("at most half the kernel"));
        Assert.That(Assert.Throws<ArgumentException>(() => Range(2, 3, 3).MaxPool2d(2))!.Message,
            Does.StartWith("MaxPool2d:").And.Contain("4-D [N, C, H, W], got [2, 3, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Range(2, 3).AdaptiveAvgPool2d())!.Message, Does.StartWith("AdaptiveAvgPool2d:"));
    }
}
