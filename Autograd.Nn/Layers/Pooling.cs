using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// Max pooling over the last two axes of [N, C, H, W] (torch.nn.MaxPool2d): the stride defaults to the kernel size;
/// the gradient of each window goes to its first maximum.
/// </summary>
public sealed class MaxPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>(height, width) of the window.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>(height, width) step between windows.</summary>
    public (int Height, int Width) Stride { get; }
    /// <summary>(height, width) of −∞ added on each side (at most half the kernel).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>A square window; <paramref name="stride"/> null means the kernel size.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding)) { }

    /// <summary>A (height, width) window, stride and padding each.</summary>
    public MaxPool2d((int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding) =>
        (KernelSize, Stride, Padding) = PoolLayers.Check("MaxPool2d", kernelSize, stride, padding);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.MaxPool2d(KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraDescription => PoolLayers.Describe(KernelSize, Stride, Padding);
}

/// <summary>
/// Average pooling over the last two axes of [N, C, H, W] (torch.nn.AvgPool2d with count_include_pad = true): every
/// window is divided by its full size, padding included; the stride defaults to the kernel size.
/// </summary>
public sealed class AvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>(height, width) of the window.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>(height, width) step between windows.</summary>
    public (int Height, int Width) Stride { get; }
    /// <summary>(height, width) of zeros added on each side (at most half the kernel).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>A square window; <paramref name="stride"/> null means the kernel size.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding)) { }

    /// <summary>A (height, width) window, stride and padding each.</summary>
    public AvgPool2d((int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding) =>
        (KernelSize, Stride, Padding) = PoolLayers.Check("AvgPool2d", kernelSize, stride, padding);

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.AvgPool2d(KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraDescription => PoolLayers.Describe(KernelSize, Stride, Padding);
}

/// <summary>
/// Adaptive average pooling to a 1×1 output (torch.nn.AdaptiveAvgPool2d(1), global average pooling):
/// [N, C, H, W] → [N, C, 1, 1]. Other output sizes are not supported.
/// </summary>
public sealed class AdaptiveAvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The output size (always 1: 1×1).</summary>
    public int OutputSize { get; }

    /// <summary>Creates the layer; <paramref name="outputSize"/> must be 1.</summary>
    public AdaptiveAvgPool2d(int outputSize = 1)
    {
        if (outputSize != 1)
            throw new NotSupportedException($"AdaptiveAvgPool2d: only an output size of 1 (global average pooling) is supported, got {outputSize}.");
        OutputSize = outputSize;
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.AdaptiveAvgPool2d();

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"outputSize={OutputSize}");
}

internal static class PoolLayers
{
    public static ((int, int), (int, int), (int, int)) Check(string layer, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding)
    {
        if (kernel.Height <= 0 || kernel.Width <= 0 || stride.Height <= 0 || stride.Width <= 0 || padding.Height < 0 || padding.Width < 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), $"{layer}: kernel and stride must be positive and padding ≥ 0, got kernel={kernel}, stride={stride}, padding={padding}.");
        if (2 * padding.Height > kernel.Height || 2 * padding.Width > kernel.Width)
            throw new ArgumentException($"{layer}: padding {padding} must be at most half the kernel {kernel}.");
        return (kernel, stride, padding);
    }

    public static string Describe((int, int) kernel, (int, int) stride, (int, int) padding) =>
        string.Create(CultureInfo.InvariantCulture, $"kernel={kernel}, stride={stride}, padding={padding}");
}
