namespace Autograd.Tests.Core;

/// <summary>
/// Every op that takes several tensors rejects incompatible shapes with an ArgumentException whose message names
/// the op and both shapes, as they were given (so a user can find the call at fault).
/// </summary>
public class ShapeErrorSweepTests
{
    private static Tensor<double> T(params int[] shape) => Tensor.Zeros<double>(shape);

    public static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string op, Func<Tensor<double>> call, params string[] shapes) =>
            new TestCaseData(call, op, shapes).SetName($"{op} rejects {string.Join(" with ", shapes)}");

        yield return Case("Add", () => T(3, 4).Add(T(3, 5)), "[3, 4]", "[3, 5]");
        yield return Case("Sub", () => T(2, 3).Sub(T(4, 3)), "[2, 3]", "[4, 3]");
        yield return Case("Mul", () => T(2, 3, 4).Mul(T(3, 3)), "[2, 3, 4]", "[3, 3]");
        yield return Case("Div", () => T(5).Div(T(4)), "[5]", "[4]");
        yield return Case("Pow", () => T(2, 2).Pow(T(3)), "[2, 2]", "[3]");
        yield return Case("MatMul", () => T(3, 4).MatMul(T(5, 6)), "[3, 4]", "[5, 6]");
        yield return Case("MatMul", () => T(2, 3, 4).MatMul(T(3, 4, 5)), "[2, 3, 4]", "[3, 4, 5]");
        yield return Case("MatMul", () => T(4).MatMul(T(4, 2)), "[4]", "[4, 2]");
        yield return Case("Linear", () => T(3, 4).Linear(T(5, 6)), "[3, 4]", "[5, 6]");
        yield return Case("Linear", () => T(3, 4).Linear(T(5, 4), T(4)), "[5, 4]", "[4]");
        yield return Case("MseLoss", () => T(3, 4).MseLoss(T(4, 3)), "[3, 4]", "[4, 3]");
        yield return Case("BceLoss", () => T(3, 4).Add(0.5).BceLoss(T(3)), "[3, 4]", "[3]");
        yield return Case("BceWithLogitsLoss", () => T(3, 4).BceWithLogitsLoss(T(3, 1)), "[3, 4]", "[3, 1]");
        yield return Case("Concat", () => Ops.Concat([T(2, 3), T(2, 4)], 0), "[2, 3]", "[2, 4]");
    }

    [TestCaseSource(nameof(Cases))]
    public void MismatchNamesOpAndBothShapes(Func<Tensor<double>> call, string op, string[] shapes)
    {
        var e = Assert.Catch<ArgumentException>(() => call())!;
        Assert.That(e.Message, Does.Contain(op));
        foreach (var s in shapes) Assert.That(e.Message, Does.Contain(s));
    }

    [Test]
    public void ClassTargetsOutOfRangeNameTheOpIndexAndValue()
    {
        var logits = T(3, 4);
        foreach (var (op, call) in new (string, Action)[]
                 {
                     ("CrossEntropyLoss", () => logits.CrossEntropyLoss([0, 4, 1])),
                     ("NllLoss", () => logits.NllLoss([0, 1, -1])),
                 })
        {
            var e = Assert.Catch<ArgumentException>(() => call())!;
            Assert.That(e.Message, Does.Contain(op).And.Contain("4"));
        }
        var n = Assert.Catch<ArgumentException>(() => logits.CrossEntropyLoss([0, 1]))!;
        Assert.That(n.Message, Does.Contain("CrossEntropyLoss").And.Contain("3").And.Contain("2"));
    }
}
