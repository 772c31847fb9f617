namespace Autograd.Tests.Core;

/// <summary>
/// One row per differentiable op: its name, how to build its inputs, and the op applied to them.
/// The table is generic so the same row runs in float64 (gradcheck) and float32 (forward vs float64).
/// Adding an op = adding a row here.
/// </summary>
public sealed record OpCase<T>(string Name, int[][] Shapes, Func<Tensor<T>[], Tensor<T>> Apply, InputKind Inputs = InputKind.Any,
    SecondOrder SecondOrder = SecondOrder.Checked)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string ToString() => Name;
}

/// <summary>How a row's second derivative is checked.</summary>
public enum SecondOrder
{
    /// <summary>GradGradCheck against finite differences of the first derivative.</summary>
    Checked,
    /// <summary>
    /// Exempt from GradGradCheck because the first derivative is not smooth at the sampled points' finite-difference
    /// scale (none today; kept so an exemption has to be written down with its reason).
    /// </summary>
    Exempt,
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
    /// <summary>Uniform in [−2, 2] but at least 0.1 away from −1, 0 and 1 (the bounds of Clamp(−1, 1)).</summary>
    AwayFromUnitBounds,
}

public static class OpCases<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Fixed class targets of the [4, 5] classification rows (the first and the last class included).
    private static readonly int[] Targets = [1, 0, 4, 2];

    private static T C(double v) => T.CreateChecked(v);

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
        new("Linear", [[3, 4], [5, 4], [5]], x => x[0].Linear(x[1], x[2])),
        new("Linear no bias batched", [[2, 3, 4], [5, 4]], x => x[0].Linear(x[1])),
        new("Linear 1 row 1 out", [[1, 4], [1, 4], [1]], x => x[0].Linear(x[1], x[2])),
        // ---- activations
        new("Relu", [[3, 4]], x => x[0].Relu(), InputKind.AwayFromKinks),
        new("Relu vector body and tail", [[7, 9]], x => x[0].Relu(), InputKind.AwayFromKinks),
        // ---- elementwise (opsa)
        new("AddScalar", [[3, 4]], x => x[0].Add(C(1.5))),
        new("SubScalar", [[3, 4]], x => x[0].Sub(C(0.75))),
        new("MulScalar", [[3, 4]], x => x[0].Mul(C(-2.5))),
        new("DivScalar", [[3, 4]], x => x[0].Div(C(4))),
        new("RSubScalar", [[3, 4]], x => Ops.RSub(C(1.5), x[0])),
        new("RDivScalar", [[3, 4]], x => Ops.RDiv(C(3), x[0]), InputKind.Positive),
        new("operator t + s", [[2, 3]], x => x[0] + C(2)),
        new("operator s + t", [[2, 3]], x => C(2) + x[0]),
        new("operator t - s", [[2, 3]], x => x[0] - C(2)),
        new("operator s - t", [[2, 3]], x => C(2) - x[0]),
        new("operator t * s", [[2, 3]], x => x[0] * C(-3)),
        new("operator s * t", [[2, 3]], x => C(-3) * x[0]),
        new("operator t / s", [[2, 3]], x => x[0] / C(0.5)),
        new("operator s / t", [[2, 3]], x => C(0.5) / x[0], InputKind.Positive),
        new("Scalar ops on scalar tensor", [[]], x => C(1) / (x[0] * C(3) - C(1))),
        new("Pow 2.5", [[3, 4]], x => x[0].Pow(C(2.5)), InputKind.Positive),
        new("Pow -1.5", [[3, 4]], x => x[0].Pow(C(-1.5)), InputKind.Positive),
        new("Pow 3 negative base", [[3, 4]], x => x[0].Pow(C(3))),
        new("Pow 0", [[2, 3]], x => x[0].Pow(C(0))),
        new("Pow 1", [[2, 3]], x => x[0].Pow(C(1))),
        new("Pow tensor", [[3, 4], [3, 4]], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Pow tensor exponent row", [[3, 4], [4]], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Pow tensor column x row", [[3, 1], [1, 4]], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Pow tensor scalar exponent", [[2, 3], []], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Pow tensor scalar base", [[], [2, 3]], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Pow tensor size-1 dims", [[1, 1], [1]], x => x[0].Pow(x[1]), InputKind.Positive),
        new("Exp", [[3, 4]], x => x[0].Exp()),
        new("Exp size-1", [[1, 1]], x => x[0].Exp()),
        new("Log", [[3, 4]], x => x[0].Log(), InputKind.Positive),
        new("Sqrt", [[3, 4]], x => x[0].Sqrt(), InputKind.Positive),
        new("Square", [[3, 4]], x => x[0].Square()),
        new("Sin", [[3, 4]], x => x[0].Sin()),
        new("Cos", [[3, 4]], x => x[0].Cos()),
        new("Square scalar", [[]], x => x[0].Square()),
        new("Abs", [[3, 4]], x => x[0].Abs(), InputKind.AwayFromKinks),
        new("Clamp -1..1", [[4, 5]], x => x[0].Clamp(C(-1), C(1)), InputKind.AwayFromUnitBounds),
        new("Clamp 0..inf", [[4, 5]], x => x[0].Clamp(T.Zero, T.PositiveInfinity), InputKind.AwayFromKinks),
        new("LeakyRelu", [[3, 4]], x => x[0].LeakyRelu(), InputKind.AwayFromKinks),
        new("LeakyRelu 0.2", [[3, 4]], x => x[0].LeakyRelu(C(0.2)), InputKind.AwayFromKinks),
        new("Sigmoid", [[3, 4]], x => x[0].Sigmoid()),
        new("Sigmoid size-1", [[1]], x => x[0].Sigmoid()),
        new("Sigmoid vector body and tail", [[7, 9]], x => x[0].Sigmoid()),
        new("Tanh", [[3, 4]], x => x[0].Tanh()),
        new("Tanh scalar", [[]], x => x[0].Tanh()),
        new("Tanh vector body and tail", [[7, 9]], x => x[0].Tanh()),
        // ---- shape (opsa)
        new("Reshape", [[3, 4]], x => x[0].Reshape(2, 6)),
        new("Reshape -1", [[2, 3, 4]], x => x[0].Reshape(-1, 4)),
        new("Reshape -1 first of three", [[2, 3, 4]], x => x[0].Reshape(2, -1, 2)),
        new("Reshape to scalar", [[1, 1]], x => x[0].Reshape()),
        new("Reshape used twice", [[3, 4]], x => x[0].Reshape(4, 3).Mul(x[0].Reshape(-1, 3))),
        new("Flatten", [[2, 3, 4]], x => x[0].Flatten()),
        new("Flatten 0", [[2, 3, 4]], x => x[0].Flatten(0)),
        new("Flatten 2 rank 4", [[2, 3, 2, 2]], x => x[0].Flatten(2)),
        new("Transpose", [[3, 4]], x => x[0].Transpose()),
        new("Transpose 1xn", [[1, 5]], x => x[0].Transpose()),
        new("Transpose beyond one block", [[35, 33]], x => x[0].Transpose()),
        new("Transpose batched", [[2, 3, 4]], x => x[0].Transpose()),
        new("Transpose 0,2", [[2, 3, 4]], x => x[0].Transpose(0, 2)),
        new("Transpose same axis", [[2, 3]], x => x[0].Transpose(1, 1)),
        new("Permute rank 3", [[2, 3, 4]], x => x[0].Permute(2, 0, 1)),
        new("Permute rank 3 keeps last", [[2, 3, 4]], x => x[0].Permute(1, 0, 2)),
        new("Permute rank 4", [[2, 3, 2, 3]], x => x[0].Permute(0, 2, 3, 1)),
        new("Permute rank 4 reversed", [[2, 3, 1, 4]], x => x[0].Permute(3, 2, 1, 0)),
        new("Permute negative axes", [[2, 3, 4]], x => x[0].Permute(-1, 0, -2)),
        new("Slice middle", [[5, 3]], x => x[0].Slice(1, 2)),
        new("Slice at end", [[5, 3]], x => x[0].Slice(3, 2)),
        new("Slice rank 3 one row", [[4, 2, 3]], x => x[0].Slice(2, 1)),
        new("Slice 1-D", [[6]], x => x[0].Slice(2, 4)),
        new("Slices recombined", [[4, 3]], x => x[0].Slice(0, 2).Mul(x[0].Slice(2, 2))),
        new("Concat axis 0", [[2, 3], [1, 3], [4, 3]], x => Ops.Concat(0, x[0], x[1], x[2])),
        new("Concat axis 1", [[2, 3], [2, 1], [2, 2]], x => Ops.Concat(1, x[0], x[1], x[2])),
        new("Concat axis -1 rank 3", [[2, 1, 3], [2, 1, 1], [2, 1, 2]], x => Ops.Concat(-1, x[0], x[1], x[2])),
        new("Concat four inputs axis 1", [[2, 1, 2], [2, 2, 2], [2, 1, 2], [2, 3, 2]], x => Ops.Concat(1, x[0], x[1], x[2], x[3])),
        new("Concat same tensor twice", [[2, 3]], x => Ops.Concat(0, x[0], x[0])),
        new("Concat single", [[2, 3]], x => Ops.Concat(1, x[0])),
        new("Narrow axis 1", [[3, 5]], x => x[0].Narrow(1, 1, 3)),
        new("Narrow axis -1 rank 3", [[2, 3, 4]], x => x[0].Narrow(-1, 2, 2)),
        new("Narrow axis 0 (view)", [[4, 3]], x => x[0].Narrow(0, 1, 2)),
        new("Narrow used twice", [[2, 6]], x => x[0].Narrow(1, 0, 3).Mul(x[0].Narrow(1, 3, 3))),
        new("Expand row", [[4]], x => x[0].Expand(3, 4)),
        new("Expand column and batch", [[3, 1]], x => x[0].Expand(2, 3, 4)),
        new("Expand scalar", [[]], x => x[0].Expand(2, 2)),
        new("SumTo row", [[3, 4]], x => x[0].SumTo(4)),
        new("SumTo column keeps rank", [[2, 3, 4]], x => x[0].SumTo(3, 1)),
        new("SumTo scalar", [[2, 3]], x => x[0].SumTo()),
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
