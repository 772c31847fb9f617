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

/// <summary>
/// Splits axis <see cref="Axis"/> into <see cref="Sizes"/> (torch.nn.Unflatten), as a view: with axis 1 and sizes
/// [1, 28, 28], flat [N, 784] images become [N, 1, 28, 28] for a convolution. One size may be −1 (inferred).
/// </summary>
public sealed class Unflatten<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _sizes;

    /// <summary>The axis split.</summary>
    public int Axis { get; }

    /// <summary>The sizes it is split into.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    /// <summary>Creates the layer.</summary>
    public Unflatten(int axis, params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(s => s == 0 || s < -1) || sizes.Count(s => s == -1) > 1)
            throw new ArgumentException($"Unflatten: sizes must be positive (one may be −1), got [{string.Join(", ", sizes)}].");
        Axis = axis;
        _sizes = (int[])sizes.Clone();
    }

    /// <summary>The output shape for an input of <paramref name="input"/>.</summary>
    public Shape OutputShape(Shape input)
    {
        int a = input.NormalizeAxis(Axis, "Unflatten");
        var dims = new List<int>(input.Dimensions[..a].ToArray());
        dims.AddRange(_sizes);
        dims.AddRange(input.Dimensions[(a + 1)..].ToArray());
        long known = _sizes.Where(s => s != -1).Aggregate(1L, (p, s) => p * s);
        int size = input.Dimensions[a];
        if (_sizes.Contains(-1) ? known == 0 || size % known != 0 : known != size)
            throw new ArgumentException($"Unflatten: axis {Axis} of {input} has size {size}, which sizes [{string.Join(", ", _sizes)}] do not split.");
        if (_sizes.Contains(-1)) dims[a + Array.IndexOf(_sizes, -1)] = (int)(size / known);
        return new Shape(dims.ToArray());
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Reshape(OutputShape(x.Shape).Dimensions);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"axis={Axis}, sizes=[{string.Join(", ", _sizes)}]");
}
