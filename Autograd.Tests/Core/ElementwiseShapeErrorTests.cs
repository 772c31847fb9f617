namespace Autograd.Tests.Core;

/// <summary>Bad shapes and arguments for the elementwise and shape ops: each throws, naming the op and the offending values.</summary>
public class ElementwiseShapeErrorTests
{
    private static Tensor<double> Z(params int[] shape) => Tensor.Zeros<double>(shape);

    private static void AssertMessage(Exception? ex, params string[] parts)
    {
        Assert.That(ex, Is.Not.Null);
        foreach (var p in parts) Assert.That(ex!.Message, Does.Contain(p));
    }

    [Test]
    public void BroadcastFailureOnAddNamesOpAndShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Add(Z(4))), "Add", "[2, 3]", "[4]");

    [Test]
    public void BroadcastFailureOnMulNamesOpAndShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Mul(Z(3, 2))), "Mul", "[2, 3]", "[3, 2]");

    [Test]
    public void BroadcastFailureOnPowNamesOpAndShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Pow(Z(2))), "Pow", "[2, 3]", "[2]");

    [Test]
    public void PowWithNaNExponentThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2).Pow(double.NaN)), "Pow", "NaN");

    [Test]
    public void ClampWithMinAboveMaxThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 2).Clamp(1.0, -1.0)), "Clamp", "min 1", "max -1", "[2, 2]");

    [Test]
    public void ClampWithNaNBoundThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2).Clamp(double.NaN, 1.0)), "Clamp", "NaN");

    [Test]
    public void LeakyReluWithNonFiniteSlopeThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2).LeakyRelu(double.PositiveInfinity)), "LeakyRelu", "slope");

    [Test]
    public void ReshapeOfWrongLengthNamesBothShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(4, 2)), "Reshape", "[2, 3]", "[4, 2]", "6", "8");

    [Test]
    public void ReshapeWithUninferableMinusOneNamesBothShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(-1, 4)), "Reshape", "[2, 3]", "[-1, 4]");

    [Test]
    public void ReshapeWithTwoMinusOnesThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(-1, -1)), "Reshape", "[-1, -1]", "one");

    [Test]
    public void ReshapeWithNegativeDimensionThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Reshape(-2, -3)), "Reshape", "[-2, -3]");

    [Test]
    public void FlattenWithAxisOutOfRangeThrows() =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => Z(2, 3).Flatten(2)), "Flatten", "[2, 3]");

    [Test]
    public void TransposeOfVectorThrows() =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => Z(5).Transpose()), "Transpose", "[5]");

    [Test]
    public void PermuteWithRepeatedAxisThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3, 4).Permute(0, 0, 1)), "Permute", "[0, 0, 1]", "[2, 3, 4]", "permutation");

    [Test]
    public void PermuteWithWrongAxisCountThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3, 4).Permute(1, 0)), "Permute", "[1, 0]", "[2, 3, 4]");

    [Test]
    public void PermuteWithAxisOutOfRangeThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Z(2, 3).Permute(0, 2)), "Permute", "[0, 2]", "[2, 3]", "out of range");

    [TestCase(3, 3)]
    [TestCase(-1, 2)]
    [TestCase(0, 6)]
    [TestCase(2, -1)]
    public void SliceOutOfRangeNamesShapeAndRange(int start, int length) =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => Z(5, 2).Slice(start, length)),
            "Slice", "[5, 2]", $"[{start}, {start + length})");

    [Test]
    public void SliceOfScalarThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Tensor.Scalar(1.0).Slice(0, 1)), "Slice", "[]");

    [Test]
    public void ConcatWithMismatchedDimensionNamesShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Ops.Concat([Z(2, 3), Z(1, 3), Z(2, 4)], 0)), "Concat", "[2, 4]", "[2, 3]", "axis 1");

    [Test]
    public void ConcatWithMismatchedRankNamesShapes() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Ops.Concat([Z(2, 3), Z(2, 3, 1)], 1)), "Concat", "[2, 3, 1]", "[2, 3]", "rank");

    [Test]
    public void ConcatWithAxisOutOfRangeThrows() =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Concat([Z(2, 3), Z(2, 3)], 2)), "Concat", "[2, 3]");

    [Test]
    public void ConcatOfNothingThrows() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => Ops.Concat<double>([], 0)), "Concat");
}
