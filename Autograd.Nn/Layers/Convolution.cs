using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// A 2-D convolution layer over [N, C, H, W] (torch.nn.Conv2d): weight [out, in/groups, kH, kW], bias [out], PyTorch's
/// default initialization (weight kaiming-uniform with a = √5, i.e. U(±1/√fan_in); bias U(±1/√fan_in), fan_in =
/// in/groups·kH·kW), so a PyTorch state_dict loads under the same names and shapes.
/// </summary>
public sealed class Conv2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>(height, width) of the kernel.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>(height, width) step between windows.</summary>
    public (int Height, int Width) Stride { get; }
    /// <summary>(height, width) of zeros added on each side.</summary>
    public (int Height, int Width) Padding { get; }
    /// <summary>(height, width) spacing between kernel taps.</summary>
    public (int Height, int Width) Dilation { get; }
    /// <summary>Channel groups (groups = in = out: a depthwise convolution).</summary>
    public int Groups { get; }

    /// <summary>The weight, [out, in/groups, kH, kW], registered as "weight".</summary>
    public Tensor<T> Weight { get; }
    /// <summary>The bias, [out], registered as "bias"; null when the layer has none.</summary>
    public Tensor<T>? Bias { get; }

    /// <summary>A square kernel with the same stride, padding and dilation on both axes.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Rng? rng = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, rng) { }

    /// <summary>A (height, width) kernel, stride, padding and dilation each.</summary>
    public Conv2d(int inChannels, int outChannels, (int Height, int Width) kernelSize, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, int groups = 1, bool bias = true, Rng? rng = null)
    {
        ConvLayers.Check("Conv2d", inChannels, outChannels, groups, kernelSize, stride, padding, dilation);
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        rng ??= Init.DefaultRng;
        Weight = RegisterParameter("weight", ConvLayers.DefaultWeight<T>(rng, outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width));
        if (bias) Bias = RegisterParameter("bias", ConvLayers.DefaultBias(Weight, rng));
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Conv2d(Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"in={InChannels}, out={OutChannels}, kernel={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}, bias={(Bias is not null ? "true" : "false")}");
}

/// <summary>
/// A 1-D convolution layer over [N, C, L] (torch.nn.Conv1d): weight [out, in/groups, k], bias [out], PyTorch's default
/// initialization as for <see cref="Conv2d{T}"/> (fan_in = in/groups·k).
/// </summary>
public sealed class Conv1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel length.</summary>
    public int KernelSize { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }
    /// <summary>Zeros added on each side.</summary>
    public int Padding { get; }
    /// <summary>Spacing between kernel taps.</summary>
    public int Dilation { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The weight, [out, in/groups, k], registered as "weight".</summary>
    public Tensor<T> Weight { get; }
    /// <summary>The bias, [out], registered as "bias"; null when the layer has none.</summary>
    public Tensor<T>? Bias { get; }

    /// <summary>Creates the layer, drawing its initial values from <paramref name="rng"/> (or <see cref="Init.DefaultRng"/>).</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Rng? rng = null)
    {
        ConvLayers.Check("Conv1d", inChannels, outChannels, groups, (1, kernelSize), (1, stride), (0, padding), (1, dilation));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        rng ??= Init.DefaultRng;
        Weight = RegisterParameter("weight", ConvLayers.DefaultWeight<T>(rng, outChannels, inChannels / groups, kernelSize));
        if (bias) Bias = RegisterParameter("bias", ConvLayers.DefaultBias(Weight, rng));
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Conv1d(Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture,
        $"in={InChannels}, out={OutChannels}, kernel={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}, bias={(Bias is not null ? "true" : "false")}");
}

/// <summary>What the convolution layers share: their settings' checks and PyTorch's initialization.</summary>
internal static class ConvLayers
{
    public static void Check(string layer, int inChannels, int outChannels, int groups, (int, int) kernel, (int, int) stride,
        (int, int) padding, (int, int) dilation)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"{layer}: channels and groups must be positive, got in={inChannels}, out={outChannels}, groups={groups}.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{layer}: groups={groups} must divide both in={inChannels} and out={outChannels}.");
        if (kernel.Item1 <= 0 || kernel.Item2 <= 0 || stride.Item1 <= 0 || stride.Item2 <= 0 || dilation.Item1 <= 0 || dilation.Item2 <= 0 ||
            padding.Item1 < 0 || padding.Item2 < 0)
            throw new ArgumentOutOfRangeException(nameof(kernel),
                $"{layer}: kernel, stride and dilation must be positive and padding ≥ 0, got kernel={kernel}, stride={stride}, padding={padding}, dilation={dilation}.");
    }

    // PyTorch's reset_parameters: kaiming_uniform_(weight, a=√5), whose bound works out to 1/√fan_in ...
    public static Tensor<T> DefaultWeight<T>(Rng rng, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        Init.KaimingUniform(Tensor.ZerosAligned<T>(shape), rng, negativeSlope: Math.Sqrt(5));

    // ... and the bias from U(±1/√fan_in).
    public static Tensor<T> DefaultBias<T>(Tensor<T> weight, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = 1.0 / Math.Sqrt(Init.Fans(weight.Shape).FanIn);
        return Init.Uniform(Tensor.ZerosAligned<T>(weight.Shape[0]), -bound, bound, rng);
    }
}
