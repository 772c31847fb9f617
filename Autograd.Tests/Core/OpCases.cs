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
        // The double-scalar operators (x * 0.5 on a float tensor too): the same ops, the scalar rounded to T once.
        new("MulScalar double operators", [[3, 4]], x => (1.0 - x[0] * 0.5) / 2.0 + 3.0 * x[0] - 0.25 + (0.75 + x[0])),
        new("RDivScalar double operator", [[3, 4]], x => 3.0 / x[0], InputKind.Positive),
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
        new("Concat axis 0", [[2, 3], [1, 3], [4, 3]], x => Ops.Concat([x[0], x[1], x[2]], 0)),
        new("Concat axis 1", [[2, 3], [2, 1], [2, 2]], x => Ops.Concat([x[0], x[1], x[2]], 1)),
        new("Concat axis -1 rank 3", [[2, 1, 3], [2, 1, 1], [2, 1, 2]], x => Ops.Concat([x[0], x[1], x[2]], -1)),
        new("Concat four inputs axis 1", [[2, 1, 2], [2, 2, 2], [2, 1, 2], [2, 3, 2]], x => Ops.Concat([x[0], x[1], x[2], x[3]], 1)),
        new("Concat same tensor twice", [[2, 3]], x => Ops.Concat([x[0], x[0]], 0)),
        new("Concat single", [[2, 3]], x => Ops.Concat([x[0]], 1)),
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
        new("CrossEntropyLoss Mean", [[4, 5]], x => x[0].CrossEntropyLoss(Targets)),
        new("CrossEntropyLoss Sum", [[4, 5]], x => x[0].CrossEntropyLoss(Targets, Reduction.Sum)),
        new("CrossEntropyLoss None", [[4, 5]], x => x[0].CrossEntropyLoss(Targets, Reduction.None)),
        new("CrossEntropyLoss label smoothing Mean", [[4, 5]], x => x[0].CrossEntropyLoss(Targets, labelSmoothing: 0.1)),
        new("CrossEntropyLoss label smoothing None", [[4, 5]], x => x[0].CrossEntropyLoss(Targets, Reduction.None, 0.25)),
        new("MseLoss Mean", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1])),
        new("MseLoss Sum", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1], Reduction.Sum)),
        new("MseLoss None", [[3, 4], [3, 4]], x => x[0].MseLoss(x[1], Reduction.None)),
        new("BceLoss Mean", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1]), InputKind.Probability),
        new("BceLoss Sum", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1], Reduction.Sum), InputKind.Probability),
        new("BceLoss None", [[3, 4], [3, 4]], x => x[0].BceLoss(x[1], Reduction.None), InputKind.Probability),
        new("BceWithLogitsLoss Mean", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1])),
        new("BceWithLogitsLoss Sum", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1], Reduction.Sum)),
        new("BceWithLogitsLoss None", [[3, 4], [3, 4]], x => x[0].BceWithLogitsLoss(x[1], Reduction.None)),
        // ---- convolution (issue #13): second order through ConvBackwardData / ConvBackwardWeight, whose rules are convolutions
        new("Conv2d 3x3 pad 1", [[2, 2, 5, 5], [3, 2, 3, 3], [3]], x => x[0].Conv2d(x[1], x[2], padding: 1)),
        new("Conv2d 3x3 no padding no bias", [[2, 3, 5, 4], [2, 3, 3, 3]], x => x[0].Conv2d(x[1])),
        new("Conv2d stride 2 pad 1", [[1, 2, 7, 6], [3, 2, 3, 3], [3]], x => x[0].Conv2d(x[1], x[2], stride: 2, padding: 1)),
        new("Conv2d stride (2,1) pad (0,2) kernel 3x2", [[1, 2, 6, 5], [2, 2, 3, 2], [2]], x => x[0].Conv2d(x[1], x[2], (2, 1), (0, 2), (1, 1))),
        new("Conv2d dilation 2 pad 2", [[1, 2, 6, 6], [2, 2, 3, 3], [2]], x => x[0].Conv2d(x[1], x[2], padding: 2, dilation: 2)),
        new("Conv2d dilation (1,2) stride 2", [[1, 1, 5, 8], [2, 1, 2, 3]], x => x[0].Conv2d(x[1], null, (2, 2), (1, 1), (1, 2))),
        new("Conv2d groups 2", [[1, 4, 5, 5], [6, 2, 3, 3], [6]], x => x[0].Conv2d(x[1], x[2], padding: 1, groups: 2)),
        new("Conv2d depthwise groups = channels", [[2, 3, 4, 4], [3, 1, 3, 3], [3]], x => x[0].Conv2d(x[1], x[2], padding: 1, groups: 3)),
        new("Conv2d depthwise multiplier 2", [[1, 2, 4, 5], [4, 1, 3, 3]], x => x[0].Conv2d(x[1], null, padding: 1, groups: 2)),
        new("Conv2d 1x1", [[2, 3, 4, 4], [2, 3, 1, 1], [2]], x => x[0].Conv2d(x[1], x[2])),
        new("Conv2d 1x1 groups 3", [[1, 3, 3, 4], [6, 1, 1, 1], [6]], x => x[0].Conv2d(x[1], x[2], groups: 3)),
        new("Conv2d 1x1 stride 2", [[1, 2, 5, 5], [3, 2, 1, 1]], x => x[0].Conv2d(x[1], null, stride: 2)),
        new("Conv2d 1x1 pad 1", [[1, 2, 3, 3], [2, 2, 1, 1], [2]], x => x[0].Conv2d(x[1], x[2], padding: 1)),
        new("Conv2d kernel 5x5 larger than 3x3 input, pad 2", [[1, 2, 3, 3], [2, 2, 5, 5], [2]], x => x[0].Conv2d(x[1], x[2], padding: 2)),
        new("Conv2d kernel 4x4 on 2x2, pad 1", [[2, 1, 2, 2], [2, 1, 4, 4]], x => x[0].Conv2d(x[1], null, padding: 1)),
        new("Conv2d batch 1 channel 1", [[1, 1, 4, 4], [1, 1, 3, 3], [1]], x => x[0].Conv2d(x[1], x[2])),
        new("Conv2d in a nonlinear expression", [[2, 2, 4, 4], [2, 2, 3, 3], [2]], x => x[0].Conv2d(x[1], x[2], padding: 1).Mul(x[0].Sum()).Tanh()),
        new("Conv1d k3 pad 1", [[2, 3, 8], [4, 3, 3], [4]], x => x[0].Conv1d(x[1], x[2], padding: 1)),
        new("Conv1d stride 2 dilation 2 groups 3", [[1, 6, 11], [3, 2, 3], [3]], x => x[0].Conv1d(x[1], x[2], stride: 2, dilation: 2, groups: 3)),
        new("Conv1d k1 no bias", [[2, 2, 5], [3, 2, 1]], x => x[0].Conv1d(x[1])),
        // ---- pooling (issue #13). Max pooling is piecewise linear: its second derivative is 0 away from ties, and uniform
        // random inputs have none (the finite differences move a value by 1e-6).
        new("MaxPool2d 2x2", [[2, 3, 4, 4]], x => x[0].MaxPool2d(2)),
        new("MaxPool2d 2x2 odd size", [[1, 2, 5, 7]], x => x[0].MaxPool2d(2)),
        new("MaxPool2d 2x2 wide rows (vector path, OW > 16)", [[1, 2, 4, 36]], x => x[0].MaxPool2d(2)),
        new("MaxPool2d 3x3 stride 2 pad 1 (overlapping)", [[1, 2, 5, 5]], x => x[0].MaxPool2d(3, stride: 2, padding: 1)),
        new("MaxPool2d (2,3) stride (1,2)", [[2, 1, 4, 7]], x => x[0].MaxPool2d((2, 3), (1, 2), (0, 1))),
        new("MaxPool2d kernel = input", [[2, 2, 3, 3]], x => x[0].MaxPool2d(3)),
        new("AvgPool2d 2x2", [[2, 2, 4, 4]], x => x[0].AvgPool2d(2)),
        new("AvgPool2d 3x3 stride 2 pad 1", [[1, 2, 5, 6]], x => x[0].AvgPool2d(3, stride: 2, padding: 1)),
        new("AvgPool2d (2,3) stride (1,2)", [[1, 2, 4, 7]], x => x[0].AvgPool2d((2, 3), (1, 2), (1, 1))),
        new("AvgPool2d squared", [[1, 2, 4, 4]], x => x[0].AvgPool2d(2).Square()),
        new("AdaptiveAvgPool2d", [[2, 3, 3, 4]], x => x[0].AdaptiveAvgPool2d()),
        new("AdaptiveAvgPool2d 1x1 plane", [[2, 2, 1, 1]], x => x[0].AdaptiveAvgPool2d()),
        // ---- normalization (issue #13)
        new("BatchNorm training [N, C]", [[4, 3], [3], [3]], x => x[0].BatchNorm(null, null, x[1], x[2], training: true)),
        new("BatchNorm training [N, C, H, W]", [[2, 3, 2, 2], [3], [3]], x => x[0].BatchNorm(null, null, x[1], x[2], training: true)),
        new("BatchNorm training with running stats", [[3, 2, 2, 1], [2], [2]],
            x => x[0].BatchNorm(Tensor.Zeros<T>(2), Tensor.Ones<T>(2), x[1], x[2], training: true)),
        new("BatchNorm training no affine", [[3, 2, 2, 1]], x => x[0].BatchNorm(null, null, training: true)),
        new("BatchNorm training weight only", [[4, 2], [2]], x => x[0].BatchNorm(null, null, x[1], null, training: true)),
        new("BatchNorm training bias only", [[4, 2], [2]], x => x[0].BatchNorm(null, null, null, x[1], training: true)),
        new("BatchNorm training [N, C, L] eps 0.1", [[2, 2, 3], [2], [2]], x => x[0].BatchNorm(null, null, x[1], x[2], training: true, eps: 0.1)),
        new("BatchNorm eval", [[3, 2, 2, 2], [2], [2]], x => x[0].BatchNorm(RunningMean, RunningVar, x[1], x[2])),
        new("BatchNorm eval [N, C] no affine", [[3, 2]], x => x[0].BatchNorm(RunningMean, RunningVar)),
        new("LayerNorm last axis", [[3, 5], [5], [5]], x => x[0].LayerNorm([5], x[1], x[2])),
        new("LayerNorm two axes", [[2, 3, 4], [3, 4], [3, 4]], x => x[0].LayerNorm([3, 4], x[1], x[2])),
        new("LayerNorm no affine", [[4, 6]], x => x[0].LayerNorm([6])),
        new("LayerNorm weight only rank 1", [[5], [5]], x => x[0].LayerNorm([5], x[1])),
        new("LayerNorm bias only", [[2, 4], [4]], x => x[0].LayerNorm([4], null, x[1])),
        // ---- indexing (issue #13); repeated indices make gradients add up
        new("IndexSelect axis 0 repeated", [[4, 3]], x => x[0].IndexSelect(0, [2, 0, 2])),
        new("IndexSelect axis 1 rank 3", [[2, 4, 3]], x => x[0].IndexSelect(1, [3, 1])),
        new("IndexSelect axis -1", [[3, 4]], x => x[0].IndexSelect(-1, [0, 3, 3, 1, 2])),
        new("Gather axis 1", [[3, 4]], x => x[0].Gather(1, [0, 3, 1, 1, 2, 0])),
        new("Gather axis 0 rank 3", [[3, 2, 2]], x => x[0].Gather(0, [2, 0, 1, 1, 0, 0, 2, 1])),
        new("Gather axis -1 more than the axis", [[2, 2]], x => x[0].Gather(-1, [1, 0, 1, 1, 0, 0])),
        new("Embedding", [[5, 3]], x => x[0].Embedding([4, 0, 4, 2])),
        new("Embedding 2-D indices", [[5, 3]], x => x[0].Embedding([1, 2, 3, 0, 4, 1], 2, 3)),
        new("Where", [[3, 4], [3, 4]], x => Ops.Where(Mask(3, 4), x[0], x[1])),
        new("Where broadcast a column b row", [[3, 1], [4]], x => Ops.Where(Mask(3, 4), x[0], x[1])),
        new("Where mask broadcast", [[2, 3], [2, 3]], x => Ops.Where(Mask(3), x[0], x[1])),
        new("Where same tensor", [[2, 3]], x => Ops.Where(Mask(2, 3), x[0], x[0].Square())),
        new("Stack axis 0", [[2, 3], [2, 3]], x => Ops.Stack([x[0], x[1]], 0)),
        new("Stack axis 1", [[2, 3], [2, 3], [2, 3]], x => Ops.Stack([x[0], x[1], x[2]], 1)),
        new("Stack axis -1 four inputs", [[2, 2], [2, 2], [2, 2], [2, 2]], x => Ops.Stack([x[0], x[1], x[2], x[3]], -1)),
        new("Stack same tensor twice", [[3]], x => Ops.Stack([x[0], x[0]], 0)),
        new("Min all", [[3, 4]], x => x[0].Min()),
        new("Min axis 0", [[3, 4]], x => x[0].Min(0)),
        new("Min axis 1 keepDim", [[3, 4]], x => x[0].Min(1, keepDim: true)),
        new("Min axis 1 rank 3", [[2, 3, 4]], x => x[0].Min(1)),
        new("Min axis -1 rank 1", [[6]], x => x[0].Min(-1)),
        new("Squeeze axis 1", [[3, 1, 4]], x => x[0].Squeeze(1)),
        new("Squeeze all", [[1, 3, 1, 2]], x => x[0].Squeeze()),
        new("Unsqueeze 0", [[3, 4]], x => x[0].Unsqueeze(0)),
        new("Unsqueeze -1", [[3, 4]], x => x[0].Unsqueeze(-1).Mul(x[0].Unsqueeze(1))),
    ];

    // Fixed running statistics of the evaluation-mode BatchNorm rows, and the masks of the Where rows (1 at every
    // third element).
    private static readonly Tensor<T> RunningMean = Tensor.FromArray([C(0.5), C(-0.25)], 2);
    private static readonly Tensor<T> RunningVar = Tensor.FromArray([C(1.5), C(0.75)], 2);

    private static Tensor<T> Mask(params int[] shape)
    {
        var mask = Tensor.Zeros<T>(shape);
        var m = mask.AsSpan();
        for (int i = 0; i < m.Length; i += 3) m[i] = T.One;
        return mask;
    }

    public static OpCase<T> Get(string name) => All.Single(c => c.Name == name);
}
