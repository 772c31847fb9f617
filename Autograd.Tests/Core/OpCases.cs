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
        new("Linear", [[3, 4], [5, 4], [5]], x => x[0].Linear(x[1], x[2])),
        new("Linear no bias batched", [[2, 3, 4], [5, 4]], x => x[0].Linear(x[1])),
        new("Linear 1 row 1 out", [[1, 4], [1, 4], [1]], x => x[0].Linear(x[1], x[2])),
        // ---- activations
        new("Relu", [[3, 4]], x => x[0].Relu(), InputKind.AwayFromKinks),
    ];

    public static OpCase<T> Get(string name) => All.Single(c => c.Name == name);
}
