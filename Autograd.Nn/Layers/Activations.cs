using System.Globalization;

namespace Autograd.Nn;

/// <summary>max(x, 0) elementwise.</summary>
public sealed class ReLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Relu();
}

/// <summary>Returns its input unchanged (a placeholder, e.g. to switch a layer off).</summary>
public sealed class Identity<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x;
}

/// <summary>x for x ≥ 0, negativeSlope·x otherwise.</summary>
public sealed class LeakyReLU<T>(double negativeSlope = 0.01) : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    private readonly T _slope = T.CreateChecked(negativeSlope);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.LeakyRelu(_slope);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"negativeSlope={NegativeSlope}");
}

/// <summary>1 / (1 + e^−x) elementwise.</summary>
public sealed class Sigmoid<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Sigmoid();
}

/// <summary>tanh(x) elementwise.</summary>
public sealed class Tanh<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Tanh();
}

/// <summary>Softmax along <see cref="Axis"/> (default the last).</summary>
public sealed class Softmax<T>(int axis = -1) : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The axis normalized over.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Softmax(Axis);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"axis={Axis}");
}

/// <summary>Log-softmax along <see cref="Axis"/> (default the last); pair it with <see cref="NllLoss{T}"/>.</summary>
public sealed class LogSoftmax<T>(int axis = -1) : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The axis normalized over.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.LogSoftmax(Axis);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"axis={Axis}");
}

/// <summary>Merges the axes from <see cref="StartAxis"/> on into one: [N, 1, 28, 28] → [N, 784] by default.</summary>
public sealed class Flatten<T>(int startAxis = 1) : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The first axis merged.</summary>
    public int StartAxis { get; } = startAxis;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Flatten(StartAxis);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"startAxis={StartAxis}");
}
