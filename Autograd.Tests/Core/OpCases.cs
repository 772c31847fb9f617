namespace Autograd.Tests.Core;

/// <summary>
/// One row per differentiable op: its name, how to build its inputs, and the op applied to them.
/// The table is generic so the same row runs in float64 (gradcheck) and float32 (forward vs float64).
/// Adding an op = adding a row here.
/// </summary>
public sealed record OpCase<T>(string Name, int[][] Shapes, Func<Tensor<T>[], Tensor<T>> Apply, InputKind Inputs = InputKind.Any)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string ToString() => Name;
}

/// <summary>What input values an op needs to be differentiable at the sampled points.</summary>
public enum InputKind
{
    /// <summary>Uniform in [−2, 2].</summary>
    Any,
    /// <summary>Uniform in [0.5, 2] (Log, Sqrt, Div's denominator, Pow).</summary>
    Positive,
    /// <summary>Uniform in [0.1, 0.9] (BCE probabilities).</summary>
    Probability,
    /// <summary>Uniform in [−2, 2] but at least 0.1 away from 0 (kinks of ReLU, Abs, Clamp, Max ties).</summary>
    AwayFromKinks,
}

public static class OpCases<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Fixed class targets of the [4, 5] classification rows (the first and the last class included).
    private static readonly int[] Targets = [1, 0, 4, 2];

    private static Tensor<T> S(double v) => Tensor.Scalar(T.CreateChecked(v));

    public static readonly OpCase<T>[] All =
    [
        // ---- broadcasting arithmetic
        new("Add", [[3, 4], [3, 4]], x => x[0].Add(x[1])),
        new("Add bias row", [[3, 4], [4]], x => x[0].Add(x[1])),
        new("Add column", [[3, 1], [1, 4]], x => x[0].Add(x[1])),
        new("Add rank-3 broadcast", [[2, 1, 3], [4, 1]], x => x[0].Add(x[1])),
        new("Add scalar tensor", [[2, 3], []], x => x[0].Add(x[1])),
        new("Sub", [[3, 4], [3, 1]], x => x[0].Sub(x[1])),
        new("Mul", [[3, 4], [3, 4]], x => x[0].Mul(x[1])),
        new("Mul broadcast", [[2, 3, 4], [3, 1]], x => x[0].Mul(x[1])),
        new("Mul x*x same tensor", [[3, 4]], x => x[0].Mul(x[0])),
        new("Div", [[3, 4], [4]], x => x[0].Div(x[1]), InputKind.Positive),
        new("Neg", [[3, 4]], x => x[0].Neg()),
        // ---- matrix products
        new("MatMul", [[3, 4], [4, 5]], x => x[0].MatMul(x[1])),
        new("MatMul 1xk", [[1, 4], [4, 1]], x => x[0].MatMul(x[1])),
        new("MatMul batched x shared", [[2, 3, 4], [4, 5]], x => x[0].MatMul(x[1])),
        new("MatMul batched x batched", [[2, 3, 4], [2, 4, 5]], x => x[0].MatMul(x[1])),
        new("MatMul shared x batched", [[3, 4], [2, 4, 5]], x => x[0].MatMul(x[1])),
        // ---- activations
        new("Relu", [[3, 4]], x => x[0].Relu(), InputKind.AwayFromKinks),
        // ---- reductions (opsb)
        new("Sum axis 0", [[3, 4]], x => x[0].Sum(0)),
        new("Sum axis 1 keepDim", [[3, 4]], x => x[0].Sum(1, keepDim: true)),
        new("Sum axis -1 rank 1", [[5]], x => x[0].Sum(-1)),
        new("Sum axis 1 rank 3", [[2, 3, 4]], x => x[0].Sum(1)),
        new("Sum axis -1 rank 4 keepDim", [[2, 2, 3, 4]], x => x[0].Sum(-1, keepDim: true)),
        new("Sum size-1 axis", [[3, 1, 4]], x => x[0].Sum(1)),
        new("Sum axes [0, 2] rank 3", [[2, 3, 4]], x => x[0].Sum([0, 2])),
        new("Sum axes [1, 2] rank 4 keepDim", [[2, 3, 4, 2]], x => x[0].Sum([1, 2], keepDim: true)),
        new("Sum axes [-1, 0] rank 4", [[2, 3, 2, 3]], x => x[0].Sum([-1, 0])),
        new("Sum axes [0, 2, 4] rank 5", [[2, 2, 3, 2, 2]], x => x[0].Sum([0, 2, 4])),
        new("Sum axes all", [[2, 3]], x => x[0].Sum([0, 1])),
        new("Mean all", [[3, 4]], x => x[0].Mean()),
        new("Mean axis 0", [[3, 4]], x => x[0].Mean(0)),
        new("Mean axis -1 rank 3 keepDim", [[2, 3, 4]], x => x[0].Mean(-1, keepDim: true)),
        new("Mean size-1 axis", [[1, 5]], x => x[0].Mean(0)),
        new("Mean axes [0, 1] rank 3", [[2, 3, 4]], x => x[0].Mean([0, 1])),
        new("Mean axes [1, 3] rank 4 keepDim", [[2, 3, 2, 4]], x => x[0].Mean([1, 3], keepDim: true)),
        new("Max all", [[3, 4]], x => x[0].Max()),
        new("Max axis 0", [[3, 4]], x => x[0].Max(0)),
        new("Max axis 1 keepDim", [[3, 4]], x => x[0].Max(1, keepDim: true)),
        new("Max axis -1 rank 1", [[6]], x => x[0].Max(-1)),
        new("Max axis 1 rank 3", [[2, 3, 4]], x => x[0].Max(1)),
        new("Max axis 2 rank 4 keepDim", [[2, 2, 3, 4]], x => x[0].Max(2, keepDim: true)),
        new("Max size-1 axis", [[3, 1]], x => x[0].Max(1)),
        // ---- softmax and losses (opsb)
        new("Softmax axis -1", [[3, 5]], x => x[0].Softmax()),
        new("Softmax axis 0", [[3, 5]], x => x[0].Softmax(0)),
        new("Softmax rank 3 middle axis", [[2, 3, 4]], x => x[0].Softmax(1)),
        new("Softmax rank 1", [[4]], x => x[0].Softmax()),
        new("LogSoftmax axis -1", [[3, 5]], x => x[0].LogSoftmax()),
        new("LogSoftmax axis 0", [[3, 5]], x => x[0].LogSoftmax(0)),
        new("LogSoftmax rank 3 middle axis", [[2, 3, 4]], x => x[0].LogSoftmax(1)),
        new("NllLoss Mean", [[4, 5]], x => x[0].NllLoss(Targets)),
        new("NllLoss Sum", [[4, 5]], x => x[0].NllLoss(Targets, Reduction.Sum)),
        new("NllLoss None", [[4, 5]], x => x[0].NllLoss(Targets, Reduction.None)),
        new("CrossEntropy Mean", [[4, 5]], x => x[0].CrossEntropy(Targets)),
        new("CrossEntropy Sum", [[4, 5]], x => x[0].CrossEntropy(Targets, Reduction.Sum)),
        new("CrossEntropy None", [[4, 5]], x => x[0].CrossEntropy(Targets, Reduction.None)),
        new("CrossEntropy label smoothing Mean", [[4, 5]], x => x[0].CrossEntropy(Targets, labelSmoothing: 0.1)),
        new("CrossEntropy label smoothing None", [[4, 5]], x => x[0].CrossEntropy(Targets, Reduction.None, 0.25)),
        new("MseLoss Mean", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1])),
        new("MseLoss Sum", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1], Reduction.Sum)),
        new("MseLoss None", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1], Reduction.None)),
        new("BceLoss Mean", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1]), InputKind.Probability),
        new("BceLoss Sum", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1], Reduction.Sum), InputKind.Probability),
        new("BceLoss None", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1], Reduction.None), InputKind.Probability),
        new("BceWithLogitsLoss Mean", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1])),
        new("BceWithLogitsLoss Sum", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1], Reduction.Sum)),
        new("BceWithLogitsLoss None", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1], Reduction.None)),
    ];

    public static OpCase<T> Get(string name) => All.Single(c => c.Name == name);
}
