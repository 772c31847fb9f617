using Autograd.Nn;

namespace Autograd.Tests.Hardening;

/// <summary>
/// Shapes, creation and every size product of the API at their limits: each bad request is an ArgumentException (or
/// subclass) that names the op and the shape or value, never a crash, an OverflowException, an OutOfMemoryException or a
/// silently wrong tensor.
/// </summary>
public class ShapeAndCreationLimitTests
{
    // ---- Shape

    [Test]
    public void WithoutNormalizesItsAxisAndRejectsOneOutOfRange()
    {
        Assert.That(new Shape(2, 3, 4).Without(1), Is.EqualTo(new Shape(2, 4)));
        Assert.That(new Shape(2, 3, 4).Without(-1), Is.EqualTo(new Shape(2, 3)));
        Assert.That(new Shape(5).Without(0), Is.EqualTo(Shape.Scalar));
        Assert.That(new Shape(2, 0, 3).Without(1).Length, Is.EqualTo(6));

        // A scalar has no axis to drop: an exception, not an unbounded recursion that kills the process.
        var scalar = Assert.Throws<ArgumentOutOfRangeException>(() => Shape.Scalar.Without(0))!;
        Assert.That(scalar.Message, Does.Contain("Shape.Without").And.Contain("axis 0").And.Contain("[]"));
        var beyond = Assert.Throws<ArgumentOutOfRangeException>(() => new Shape(2, 3).Without(5))!;
        Assert.That(beyond.Message, Does.Contain("Shape.Without").And.Contain("axis 5").And.Contain("[2, 3]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Shape(2, 3).Without(-3));
    }

    [Test]
    public void WithoutAZeroAxisCanLeaveTooManyElements()
    {
        var e = Assert.Throws<ArgumentException>(() => new Shape(0, 65536, 65536).Without(0))!;
        Assert.That(e.Message, Does.Contain("Shape.Without").And.Contain("[65536, 65536]").And.Contain("4294967296"));
    }

    [Test]
    public void ProductTakesARangeOfAxesAndRejectsOthers()
    {
        var s = new Shape(2, 3, 4);
        Assert.That(s.Product(0, 3), Is.EqualTo(24));
        Assert.That(s.Product(1, 3), Is.EqualTo(12));
        Assert.That(s.Product(2, 2), Is.EqualTo(1));
        Assert.That(Shape.Scalar.Product(0, 0), Is.EqualTo(1));
        foreach (var (from, to) in new[] { (0, 5), (2, 1), (-1, 2), (0, 4) })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => s.Product(from, to), $"[{from}, {to})")!;
            Assert.That(e.Message, Does.Contain("Shape.Product").And.Contain($"[{from}, {to})").And.Contain("[2, 3, 4]"));
        }
    }

    [Test]
    public void ConstructorCountsElementsIn64BitsAndNamesTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Shape(46341, 46341))!;
        Assert.That(e.Message, Does.Contain("[46341, 46341]").And.Contain("2147488281"));
        // Eight dimensions of int.MaxValue overflow a long many times over; the count is still reported exactly.
        var huge = Enumerable.Repeat(int.MaxValue, 8).ToArray();
        var h = Assert.Throws<ArgumentException>(() => new Shape(huge))!;
        Assert.That(h.Message, Does.Contain(System.Numerics.BigInteger.Pow(int.MaxValue, 8).ToString()));
        // Zero anywhere makes the shape empty, however large the other dimensions.
        Assert.That(new Shape(int.MaxValue, int.MaxValue, 0).Length, Is.Zero);
        Assert.Throws<ArgumentException>(() => new Shape(4, 0, 1 << 30).With(1, 1));
        Assert.That(new Shape(1 << 30, 0, 1 << 30).Length, Is.Zero);
        Assert.That(new Shape(65536, 65536, 0).With(0, 32768).Length, Is.Zero, "With saturates like the constructor: the 0 still counts");
    }

    [Test]
    public void NullDimensionsAreRejected()
    {
        int[]? dims = null;
        Assert.Throws<ArgumentNullException>(() => { Shape s = dims!; });
    }

    // ---- creation

    [Test]
    public void ArangeRejectsNonFiniteBoundsAndStepsAndTooManyValues()
    {
        foreach (var (start, stop, step) in new[]
                 {
                     (double.NaN, 1.0, 1.0), (0.0, double.NaN, 1.0), (0.0, double.PositiveInfinity, 1.0),
                     (double.NegativeInfinity, 0.0, 1.0), (0.0, 1.0, double.NaN), (0.0, 1.0, double.PositiveInfinity), (0.0, 1.0, 0.0),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Arange<float>(start, stop, step), $"({start}, {stop}, {step})")!;
            Assert.That(e.Message, Does.Contain("Arange"));
        }
        foreach (var (start, stop, step) in new[] { (0.0, 3e9, 1.0), (0.0, 1.0, 1e-300), (-1e308, 1e308, 1.0) })
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Arange<float>(start, stop, step), $"({start}, {stop}, {step})")!;
            Assert.That(e.Message, Does.Contain("Arange").And.Contain("values").And.Contain(Array.MaxLength.ToString()));
        }
        var range = Assert.Throws<ArgumentException>(() => Tensor.Arange<float>(0, 1e39, 1e38))!;
        Assert.That(range.Message, Does.Contain("Arange").And.Contain("float32"));
        Assert.That(Tensor.Arange<double>(0, 1e39, 1e38).Length, Is.EqualTo(10), "the same range fits float64");
    }

    [Test]
    public void ArangeStillCountsLikeNumpy()
    {
        Assert.That(Tensor.Arange<double>(0, 1, 0.25).ToArray(), Is.EqualTo(new[] { 0, 0.25, 0.5, 0.75 }));
        Assert.That(Tensor.Arange<float>(3, 0, -1).ToArray(), Is.EqualTo(new[] { 3f, 2f, 1f }));
        Assert.That(Tensor.Arange<float>(1, 1).Length, Is.Zero);
        Assert.That(Tensor.Arange<float>(2, 1).Length, Is.Zero);
    }

    [Test]
    public void RandomCreationRejectsBoundsThatWouldGiveNaNOrClampedValues()
    {
        var rng = new Rng(1);
        var shape = new Shape(4);
        foreach (var (low, high) in new[]
                 {
                     (double.NegativeInfinity, double.PositiveInfinity), (0.0, double.PositiveInfinity), (double.NaN, 1.0),
                     (0.0, 1e300), (-1e308, 1e308), (1.0, 0.0),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Uniform<float>(shape, low, high, rng), $"[{low}, {high})")!;
            Assert.That(e.Message, Does.Contain("Uniform"));
        }
        Assert.That(Tensor.Uniform<double>(shape, 0, 1e300, rng).ToArray(), Is.All.InRange(0.0, 1e300), "1e300 fits float64");
        var direct = Assert.Throws<ArgumentException>(() => rng.FillUniform<float>(new float[2], double.NegativeInfinity, 0))!;
        Assert.That(direct.Message, Does.Contain("Rng.FillUniform"));

        foreach (var (mean, std) in new[] { (double.NaN, 1.0), (0.0, double.PositiveInfinity), (0.0, -1.0), (0.0, 1e38), (3.4e38, 1e37) })
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Normal<float>(shape, mean, std, rng), $"N({mean}, {std}²)")!;
            Assert.That(e.Message, Does.Contain("Normal"));
        }
        Assert.That(Tensor.Normal<float>(shape, 0, 1e30, rng).ToArray(), Is.All.Matches<float>(float.IsFinite));
        Assert.Throws<ArgumentException>(() => Init.Uniform(Tensor.Zeros<float>(3), 0, 1e300, rng));
    }

    // ---- every size product of the API, in 64 bits: shapes far beyond Array.MaxLength from small inputs

    public static IEnumerable<TestCaseData> Oversized()
    {
        TestCaseData Case(string op, Action call, string shape) => new TestCaseData(call, op, shape).SetName($"{op} of {shape} names op and shape");
        var column = Tensor.Zeros<float>(65536, 1);
        var row = Tensor.Zeros<float>(1, 65536);
        yield return Case("OneHot", () => Ops.OneHot<float>(new int[46341], 46341), "[46341, 46341]");
        yield return Case("OneHot", () => Ops.OneHot<float>(new int[65537], 65536), "[65537, 65536]");
        yield return Case("Zeros", () => Tensor.Zeros<float>(65536, 65536), "[65536, 65536]");
        yield return Case("Ones", () => Tensor.Ones<double>(1 << 16, 1 << 16, 2), "[65536, 65536, 2]");
        yield return Case("ZerosAligned", () => Tensor.ZerosAligned<float>(46341, 46341), "[46341, 46341]");
        yield return Case("FromArray", () => Tensor.FromArray(new float[4], 65536, 65536), "[65536, 65536]");
        yield return Case("Reshape", () => Tensor.Zeros<float>(4).Reshape(65536, 65536), "[65536, 65536]");
        yield return Case("Add", () => column.Add(row), "[65536, 65536]");
        yield return Case("Mul", () => column.Mul(row), "[65536, 65536]");
        yield return Case("Pow", () => column.Pow(row), "[65536, 65536]");
        yield return Case("MatMul", () => column.MatMul(row), "[65536, 65536]");
        yield return Case("MatMul", () => Tensor.Zeros<float>(2, 65536, 1).MatMul(row), "[2, 65536, 65536]");
        yield return Case("Linear", () => column.Linear(Tensor.Zeros<float>(65536, 1)), "[65536, 65536]");
        yield return Case("Linear", () => Tensor.Zeros<float>(2, 65536, 1).Linear(Tensor.Zeros<float>(65536, 1)), "[2, 65536, 65536]");
        var samples = new Autograd.Nn.Data.Dataset<float>(new float[1024], [0], featureCount: 1024);
        var indices = new int[1 << 21];
        yield return Case("Dataset.Subset", () => samples.Subset(indices), "[2097152, 1024]");
        yield return Case("OneHot", () => samples.OneHot(int.MaxValue), "[1, 2147483647]");
        yield return Case("Batch.OneHot", () =>
        {
            foreach (var batch in new Autograd.Nn.Data.DataLoader<float>(samples, 1).Epoch(0)) batch.OneHot(int.MaxValue);
        }, "[1, 2147483647]");
    }

    [TestCaseSource(nameof(Oversized))]
    public void OversizedResultsAreRejectedBeforeAllocating(Action call, string op, string shape)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Catch<ArgumentException>(() => call())!;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(e.Message, Does.Contain(op).And.Contain(shape).And.Contain("elements"));
        Assert.That(allocated, Is.LessThan(1 << 20), "nothing of the result's size was allocated");
    }

    // ---- messages (item 10 of the hardening issue)

    [Test]
    public void LinearShapeErrorsNameAllThreeShapes()
    {
        var x = Tensor.Zeros<double>(3, 4);
        var cases = new (Action Call, string[] Shapes)[]
        {
            (() => x.Linear(Tensor.Zeros<double>(5, 6), Tensor.Zeros<double>(5)), ["[3, 4]", "[5, 6]", "[5]"]),
            (() => x.Linear(Tensor.Zeros<double>(5, 4), Tensor.Zeros<double>(4)), ["[3, 4]", "[5, 4]", "[4]"]),
            (() => x.Linear(Tensor.Zeros<double>(5, 4, 1), Tensor.Zeros<double>(2, 5)), ["[3, 4]", "[5, 4, 1]", "[2, 5]"]),
            (() => x.Linear(Tensor.Zeros<double>(5, 6)), ["[3, 4]", "[5, 6]", "bias none"]),
        };
        foreach (var (call, shapes) in cases)
        {
            var e = Assert.Throws<ArgumentException>(() => call())!;
            Assert.That(e.Message, Does.StartWith("Linear:"));
            foreach (var s in shapes) Assert.That(e.Message, Does.Contain(s));
        }
    }

    [Test]
    public void UnknownReductionsNameTheOpAndTheInputShape()
    {
        var bad = (Reduction)7;
        var x = Tensor.Full(new Shape(3, 4), 0.5);
        var ops = new (string Op, Action Call)[]
        {
            ("MseLoss", () => x.MseLoss(x, bad)),
            ("BceLoss", () => x.BceLoss(x, bad)),
            ("BceWithLogitsLoss", () => x.BceWithLogitsLoss(x, bad)),
            ("NllLoss", () => x.NllLoss([0, 1, 2], bad)),
            ("CrossEntropyLoss", () => x.CrossEntropyLoss([0, 1, 2], bad)),
        };
        foreach (var (op, call) in ops)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => call(), op)!;
            Assert.That(e.Message, Does.StartWith(op + ":").And.Contain("reduction 7").And.Contain("[3, 4]"));
        }
        // The loss modules check when they are built: CrossEntropyLoss and NllLoss with a target tensor reduce by
        // themselves, and an unknown value must not fall through to "no reduction".
        var modules = new (string Name, Action Create)[]
        {
            ("CrossEntropyLoss", () => new CrossEntropyLoss<double>(reduction: bad)),
            ("NllLoss", () => new NllLoss<double>(bad)),
            ("MseLoss", () => new MseLoss<float>(bad)),
        };
        foreach (var (name, create) in modules)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => create(), name)!;
            Assert.That(e.Message, Does.StartWith(name + ":").And.Contain("reduction 7"));
        }
    }
}
