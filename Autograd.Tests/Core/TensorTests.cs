namespace Autograd.Tests.Core;

/// <summary>Creation, element access, copies, printing and shape validation of <see cref="Tensor{T}"/>.</summary>
public class TensorTests
{
    // ---- creation

    [Test]
    public void ZerosOnesFullHaveTheirShapeAndValue()
    {
        var z = Tensor.Zeros<double>(2, 3);
        var o = Tensor.Ones<float>(4);
        var f = Tensor.Full(new Shape(3, 1, 2), 2.5);
        Assert.That(z.Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(z.ToArray(), Is.EqualTo(new double[6]));
        Assert.That(o.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }));
        Assert.That(f.Rank, Is.EqualTo(3));
        Assert.That(f.ToArray(), Is.EqualTo(Enumerable.Repeat(2.5, 6)));
        Assert.That(z.RequiresGrad || o.RequiresGrad || f.RequiresGrad, Is.False);
        Assert.That(z.IsLeaf, Is.True);
    }

    [Test]
    public void ScalarIsRankZeroWithOneElement()
    {
        var s = Tensor.Scalar(3.5f);
        Assert.That(s.Rank, Is.EqualTo(0));
        Assert.That(s.Length, Is.EqualTo(1));
        Assert.That(s.Item(), Is.EqualTo(3.5f));
    }

    [Test]
    public void FromArrayWithAnEmptyShapeIsRankZero()
    {
        int[] none = [];
        var s = Tensor.FromArray([4.5], none);
        Assert.That(s.Rank, Is.Zero);
        Assert.That(s.Shape, Is.EqualTo(Shape.Scalar));
        Assert.That(s.Item(), Is.EqualTo(4.5));
        Assert.That(Tensor.FromArray([4.5], [], requiresGrad: true).Rank, Is.Zero);
        // No shape at all is 1-D, and an explicit shape is taken as given.
        Assert.That(Tensor.FromArray([4.5]).Shape, Is.EqualTo(new Shape(1)));
        Assert.That(Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 3, 2).Shape, Is.EqualTo(new Shape(3, 2)));
    }

    [Test]
    public void FromArrayRejectsAValueCountThatIsNotTheProductOfTheShape()
    {
        var scalar = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1.0, 2, 3], []))!;
        Assert.That(scalar.Message, Is.EqualTo("FromArray: 3 values do not fill shape [] (1 element)."));
        var matrix = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1.0, 2, 3], [2, 2], requiresGrad: true))!;
        Assert.That(matrix.Message, Is.EqualTo("FromArray: 3 values do not fill shape [2, 2] (4 elements)."));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.FromArray(Array.Empty<double>(), []))!.Message,
            Does.Contain("0 values do not fill shape []"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.FromArray([1.0], 1, -1))!.Message, Does.StartWith("FromArray:"));
    }

    // Every factory takes requiresGrad: its tensor is a leaf that the tape differentiates.
    private static IEnumerable<TestCaseData> GradFactories()
    {
        var source = Tensor.FromArray([1.0, 2, 3]);
        (string Name, Func<bool, Tensor<double>> Make)[] all =
        [
            ("Empty", g => Tensor.Empty<double>(new Shape(2, 3), requiresGrad: g)),
            ("Zeros", g => Tensor.Zeros<double>([2, 3], requiresGrad: g)),
            ("Ones", g => Tensor.Ones<double>([2, 3], requiresGrad: g)),
            ("ZerosLike", g => Tensor.ZerosLike(source, requiresGrad: g)),
            ("Full", g => Tensor.Full(new Shape(2), 7.0, requiresGrad: g)),
            ("Scalar", g => Tensor.Scalar(7.0, requiresGrad: g)),
            ("FromArray 1-D", g => Tensor.FromArray([1.0, 2], requiresGrad: g)),
            ("FromArray shaped", g => Tensor.FromArray([1.0, 2], [2, 1], requiresGrad: g)),
            ("FromArray 2-D array", g => Tensor.FromArray(new[,] { { 1.0, 2 }, { 3, 4 } }, requiresGrad: g)),
            ("Arange", g => Tensor.Arange<double>(0, 5, requiresGrad: g)),
            ("Uniform", g => Tensor.Uniform<double>(new Shape(4), -1, 1, new Rng(seed: 1), requiresGrad: g)),
            ("Normal", g => Tensor.Normal<double>(new Shape(4), 0, 1, new Rng(seed: 1), requiresGrad: g)),
            ("Convert", g => Tensor.Convert<float, double>(Tensor.FromArray([1f, 2f]), requiresGrad: g)),
            ("FromTensorSpan", g => Tensor.FromTensorSpan(new System.Numerics.Tensors.ReadOnlyTensorSpan<double>([1.0, 2, 3, 4], [2, 2]), requiresGrad: g)),
            ("FromSystemTensor", g => Tensor.FromSystemTensor(System.Numerics.Tensors.Tensor.Create([1.0, 2], [2]), requiresGrad: g)),
            ("constructor", g => new Tensor<double>(new double[3], new Shape(3), requiresGrad: g)),
        ];
        return all.Select(f => new TestCaseData(f.Make).SetName($"Factory {f.Name} takes requiresGrad"));
    }

    [TestCaseSource(nameof(GradFactories))]
    public void EveryFactoryTakesRequiresGrad(Func<bool, Tensor<double>> make)
    {
        Assert.That(make(false).RequiresGrad, Is.False);
        var leaf = make(true);
        Assert.That(leaf.RequiresGrad && leaf.IsLeaf, Is.True);
        leaf.AsSpan().Fill(1.5);
        (leaf * leaf).Sum().Backward();   // d/dx Σx² = 2x
        Assert.That(leaf.Grad!.ToArray(), Is.EqualTo(Enumerable.Repeat(3.0, leaf.Length)));
    }

    [Test]
    public void ShapeWithReplacesOneDimensionAndChecksIt()
    {
        var s = new Shape(2, 3, 4);
        Assert.That(s.With(1, 5), Is.EqualTo(new Shape(2, 5, 4)));
        Assert.That(s.With(1, 5).Length, Is.EqualTo(40));
        Assert.That(s.With(0, 0).Length, Is.Zero);
        Assert.That(Shape.Scalar.Length, Is.EqualTo(1));
        Assert.That(Shape.Scalar.Rank, Is.Zero);
        Assert.That(Shape.Matrix(3, 7, "Test"), Is.EqualTo(new Shape(3, 7)));
        Assert.That(Shape.Matrix(3, 7, "Test").Length, Is.EqualTo(21));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.With(3, 1));
        Assert.That(ex!.Message, Does.Contain("Shape.With").And.Contain("[2, 3, 4]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.With(0, -1));
        Assert.Throws<ArgumentException>(() => new Shape(1 << 20, 1 << 10, 1).With(2, 1 << 10));
        Assert.Throws<ArgumentException>(() => Shape.Matrix(1 << 20, 1 << 20, "Test"));
    }

    [Test]
    public void FromArrayCopiesAndShapes()
    {
        var values = new[] { 1.0, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(values, 2, 3);
        values[0] = 100;   // the tensor must not see this
        Assert.That(t.Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(t[0, 0], Is.EqualTo(1.0));
        Assert.That(t[1, 2], Is.EqualTo(6.0));
        Assert.That(Tensor.FromArray(new[] { 1f, 2f }).Shape, Is.EqualTo(new Shape(2)), "no shape means 1-D");
    }

    [Test]
    public void FromArrayRejectsAMismatchedShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new[] { 1.0, 2, 3 }, 2, 2));
        Assert.That(ex!.Message, Does.Contain("FromArray").And.Contain("[2, 2]").And.Contain("3 values"));
    }

    [Test]
    public void FromTwoDimensionalArrayIsRowMajor()
    {
        var t = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.That(t.Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1.0, 2, 3, 4, 5, 6 }));
        Assert.That(t[1, 0], Is.EqualTo(4.0));
    }

    [Test]
    public void ConstructorWrapsTheArrayWithoutCopy()
    {
        var data = new float[6];
        var t = new Tensor<float>(data, new Shape(3, 2));
        data[5] = 7;
        Assert.That(t[2, 1], Is.EqualTo(7f));
        Assert.Throws<ArgumentException>(() => _ = new Tensor<float>(new float[5], new Shape(3, 2)));
    }

    [Test]
    public void ArangeFollowsNumpy()
    {
        Assert.That(Tensor.Arange<double>(0, 5).ToArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4 }));
        Assert.That(Tensor.Arange<double>(1, 2, 0.25).ToArray(), Is.EqualTo(new[] { 1.0, 1.25, 1.5, 1.75 }));
        Assert.That(Tensor.Arange<float>(5, 0, -2).ToArray(), Is.EqualTo(new[] { 5f, 3f, 1f }));
        Assert.That(Tensor.Arange<double>(3, 3).Length, Is.EqualTo(0));
        Assert.Throws<ArgumentException>(() => Tensor.Arange<double>(0, 1, 0));
    }

    // ---- element access and copies

    [Test]
    public void ItemNeedsExactlyOneElement()
    {
        Assert.That(Tensor.Full(new Shape(1, 1), 4.0).Item(), Is.EqualTo(4.0));
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros<double>(2, 2).Item());
        Assert.That(ex!.Message, Does.Contain("[2, 2]").And.Contain("4 elements"));
    }

    [Test]
    public void IndexerReadsAndWritesRowMajor()
    {
        var t = Tensor.Zeros<double>(2, 3, 4);
        t[1, 2, 3] = 5;
        t[0, 1, 0] = -1;
        var flat = t.ToArray();
        Assert.That(flat[1 * 12 + 2 * 4 + 3], Is.EqualTo(5.0));
        Assert.That(flat[4], Is.EqualTo(-1.0));
        Assert.That(t[1, 2, 3], Is.EqualTo(5.0));
        Assert.That(flat.Count(v => v != 0), Is.EqualTo(2));
    }

    [Test]
    public void IndexerRejectsWrongRankAndOutOfRange()
    {
        var t = Tensor.Zeros<double>(2, 3);
        var rank = Assert.Throws<ArgumentException>(() => _ = t[1]);
        Assert.That(rank!.Message, Does.Contain("1 indices").And.Contain("rank 2"));
        var range = Assert.Throws<IndexOutOfRangeException>(() => _ = t[1, 3]);
        Assert.That(range!.Message, Does.Contain("index 3").And.Contain("axis 1").And.Contain("[2, 3]"));
        Assert.Throws<IndexOutOfRangeException>(() => t[-1, 0] = 1);
    }

    [Test]
    public void ToArrayIsACopy()
    {
        var t = Tensor.Ones<double>(3);
        var a = t.ToArray();
        a[0] = 9;
        Assert.That(t[0], Is.EqualTo(1.0));
    }

    [Test]
    public void CloneIsADeepCopyAndALeaf()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3 });
        x.RequiresGrad = true;
        var y = x * x;
        var c = y.Clone();
        Assert.That(c.ToArray(), Is.EqualTo(new[] { 1.0, 4, 9 }));
        Assert.That(c.IsLeaf, Is.True);
        Assert.That(c.RequiresGrad, Is.False);
        c[0] = 42;
        Assert.That(y[0], Is.EqualTo(1.0));
    }

    // ---- printing

    [Test]
    public void ToStringShowsValuesShapeAndDtype()
    {
        var s = Tensor.FromArray(new[] { 1.5, -2, 3, 4.25 }, 2, 2).ToString();
        Assert.That(s, Does.StartWith("tensor("));
        Assert.That(s, Does.Contain("1.5000").And.Contain("-2.0000").And.Contain("4.2500"));
        Assert.That(s, Does.Contain("shape=[2, 2]").And.Contain("dtype=float64"));
        Assert.That(s.Split('\n'), Has.Length.EqualTo(2), "one line per row");
        Assert.That(Tensor.Ones<float>(2).ToString(), Does.Contain("dtype=float32").And.Contain("[1., 1.]"));
    }

    [Test]
    public void ToStringShowsRequiresGradAndGradFn()
    {
        var x = Tensor.Ones<double>(2);
        Assert.That(x.ToString(), Does.Not.Contain("requires_grad").And.Not.Contain("grad_fn"));
        x.RequiresGrad = true;
        Assert.That(x.ToString(), Does.Contain("requires_grad"));
        Assert.That((x * x).ToString(), Does.Contain("grad_fn=Mul"));
    }

    [Test]
    public void ToStringElidesLargeTensors()
    {
        var big = Tensor.Arange<double>(0, 2000).ToString();
        Assert.That(big, Does.Contain("..."));
        Assert.That(big, Does.Contain("0.").And.Contain("1999."));
        Assert.That(big, Does.Not.Contain("1000."));
        Assert.That(big.Length, Is.LessThan(200));

        var matrix = Tensor.Zeros<double>(40, 40).ToString();   // 1600 elements: rows and columns elided
        Assert.That(matrix.Split('\n').Length, Is.LessThan(10));
        Assert.That(matrix, Does.Contain("..."));

        var small = Tensor.Arange<double>(0, 1000).ToString();  // exactly at the limit: everything shown
        Assert.That(small, Does.Not.Contain("...").And.Contain("500."));
    }

    [Test]
    public void ToStringOfNonFiniteAndTinyValues()
    {
        var s = Tensor.FromArray(new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-9 }).ToString();
        Assert.That(s, Does.Contain("nan").And.Contain("inf").And.Contain("-inf").And.Contain("e-09"));
    }

    // ---- shape validation

    [Test]
    public void ShapeRejectsNegativeDimensions()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Shape(2, -1));
        Assert.That(ex!.Message, Does.Contain("-1"));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros<double>(3, -2));
    }

    [Test]
    public void ShapeRejectsRankAboveEight()
    {
        Assert.That(new Shape(1, 1, 1, 1, 1, 1, 1, 2).Length, Is.EqualTo(2));
        var ex = Assert.Throws<ArgumentException>(() => _ = new Shape(1, 1, 1, 1, 1, 1, 1, 1, 1));
        Assert.That(ex!.Message, Does.Contain("rank 9").And.Contain("8"));
    }

    [Test]
    public void ShapeRejectsTooManyElements()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Shape(1 << 20, 1 << 20));
        Assert.That(ex!.Message, Does.Contain("[1048576, 1048576]").And.Contain("more than the"));
    }

    [Test]
    public void ShapeEqualityAndNegativeAxes()
    {
        var s = new Shape(2, 3, 4);
        Assert.That(s, Is.EqualTo(new Shape(2, 3, 4)));
        Assert.That(s == new Shape(2, 3), Is.False);
        Assert.That(s[-1], Is.EqualTo(4));
        Assert.That(s.Length, Is.EqualTo(24));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = s[3]);
    }
}
