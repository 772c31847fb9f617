namespace Autograd.Nn;

/// <summary>Which fan a Kaiming initializer preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>Inputs per unit: preserves the variance of activations in the forward pass (PyTorch's default).</summary>
    FanIn,
    /// <summary>Outputs per unit: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>The nonlinearities <see cref="Init.Gain"/> knows (PyTorch's calculate_gain).</summary>
public enum Nonlinearity
{
    /// <summary>Identity / linear layers: gain 1.</summary>
    Linear,
    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,
    /// <summary>Tanh: gain 5/3.</summary>
    Tanh,
    /// <summary>ReLU: gain √2.</summary>
    Relu,
    /// <summary>Leaky ReLU with a negative slope: gain √(2 / (1 + slope²)).</summary>
    LeakyRelu,
}

/// <summary>
/// Weight initializers that fill a tensor in place from a seeded <see cref="Rng"/>, with PyTorch's formulas
/// (torch.nn.init). Fans are computed for PyTorch's layouts: a weight [out, in, k…] has fan_in = in·Πk and
/// fan_out = out·Πk.
/// </summary>
public static class Init
{
    [ThreadStatic] private static Rng? _defaultRng;

    /// <summary>
    /// The generator layers use when none is given. Each thread starts from seed 0, so runs are reproducible
    /// by default; <see cref="ManualSeed"/> restarts it.
    /// </summary>
    public static Rng DefaultRng => _defaultRng ??= new Rng(0);

    /// <summary>Restarts this thread's <see cref="DefaultRng"/> from <paramref name="seed"/> (like torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed) => _defaultRng = new Rng(seed);

    /// <summary>(fan_in, fan_out) of a weight of the given shape; needs rank ≥ 2.</summary>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 2)
            throw new ArgumentException($"Init: fan in and fan out need a tensor of rank ≥ 2 such as a weight [out, in]; got shape {shape}.");
        int receptive = shape.Product(2, shape.Rank);
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>The recommended gain for <paramref name="nonlinearity"/> (negativeSlope is used by LeakyRelu only).</summary>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope)),
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), $"Init.Gain: unknown nonlinearity {nonlinearity}."),
    };

    /// <summary>Fills <paramref name="tensor"/> with U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor<T> Uniform<T>(Tensor<T> tensor, double low, double high, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor); ArgumentNullException.ThrowIfNull(rng);
        if (!(high >= low)) throw new ArgumentException($"Init.Uniform: high ({high}) must be ≥ low ({low}).");
        rng.FillUniform(tensor.AsSpan(), low, high);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public static Tensor<T> Normal<T>(Tensor<T> tensor, double mean, double std, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor); ArgumentNullException.ThrowIfNull(rng);
        if (!(std >= 0)) throw new ArgumentException($"Init.Normal: std must be ≥ 0 (got {std}).");
        rng.FillNormal(tensor.AsSpan(), mean, std);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/>.</summary>
    public static Tensor<T> Constant<T>(Tensor<T> tensor, double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.AsSpan().Fill(T.CreateChecked(value));
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros.</summary>
    public static Tensor<T> Zeros<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T> => Constant(tensor, 0);

    /// <summary>Fills <paramref name="tensor"/> with ones.</summary>
    public static Tensor<T> Ones<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T> => Constant(tensor, 1);

    /// <summary>
    /// He initialization, uniform: U(−b, b) with b = gain·√(3 / fan), gain = √(2 / (1 + negativeSlope²))
    /// (√2 for ReLU, the default).
    /// </summary>
    public static Tensor<T> KaimingUniform<T>(Tensor<T> tensor, Rng rng, double negativeSlope = 0, FanMode mode = FanMode.FanIn)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, negativeSlope, mode, "KaimingUniform");
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>He initialization, normal: N(0, std²) with std = gain / √fan, gain as in <see cref="KaimingUniform"/>.</summary>
    public static Tensor<T> KaimingNormal<T>(Tensor<T> tensor, Rng rng, double negativeSlope = 0, FanMode mode = FanMode.FanIn)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Normal(tensor, 0, KaimingStd(tensor, negativeSlope, mode, "KaimingNormal"), rng);

    private static double KaimingStd<T>(Tensor<T> tensor, double negativeSlope, FanMode mode, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (fanIn, fanOut) = Fans(tensor.Shape);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0) throw new ArgumentException($"Init.{op}: the tensor of shape {tensor.Shape} has a zero fan.");
        return Gain(Nonlinearity.LeakyRelu, negativeSlope) / Math.Sqrt(fan);
    }

    /// <summary>Glorot initialization, uniform: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).</summary>
    public static Tensor<T> XavierUniform<T>(Tensor<T> tensor, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = Math.Sqrt(3.0) * XavierStd(tensor, gain, "XavierUniform");
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>Glorot initialization, normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor<T> XavierNormal<T>(Tensor<T> tensor, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T> =>
        Normal(tensor, 0, XavierStd(tensor, gain, "XavierNormal"), rng);

    private static double XavierStd<T>(Tensor<T> tensor, double gain, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (fanIn, fanOut) = Fans(tensor.Shape);
        if (fanIn + fanOut == 0) throw new ArgumentException($"Init.{op}: the tensor of shape {tensor.Shape} has zero fans.");
        return gain * Math.Sqrt(2.0 / (fanIn + fanOut));
    }
}
