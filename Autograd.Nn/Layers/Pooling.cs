using System.Globalization;

namespace Autograd.Nn;

/// <summary>What the windowed pooling layers share: a kernel, a stride and a padding, each (height, width).</summary>
public abstract class Pool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>(height, width) of the window.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>(height, width) step between windows.</summary>
    public (int Height, int Width) Stride { get; }
    /// <summary>(height, width) added on each side (at most half the kernel).</summary>
    public (int Height, int Width) Padding { get; }

    private protected Pool2d((int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding)
    {
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0 || stride.Height <= 0 || stride.Width <= 0 || padding.Height < 0 || padding.Width < 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize),
                $"{TypeName}: kernel and stride must be positive and padding ≥ 0, got kernel={kernelSize}, stride={stride}, padding={padding}.");
        if (2 * padding.Height > kernelSize.Height || 2 * padding.Width > kernelSize.Width)
            throw new ArgumentException($"{TypeName}: padding {padding} must be at most half the kernel {kernelSize}.");
        (KernelSize, Stride, Padding) = (kernelSize, stride, padding);
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"kernel={KernelSize}, stride={Stride}, padding={Padding}");
}

/// <summary>
/// Max pooling over the last two axes of [N, C, H, W] (torch.nn.MaxPool2d), −∞ in the padding: the stride defaults to
/// the kernel size; the gradient of each window goes to its first maximum.
/// </summary>
public sealed class MaxPool2d<T> : Pool2d<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A square window; <paramref name="stride"/> null means the kernel size.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding)) { }

    /// <summary>A (height, width) window, stride and padding each.</summary>
    public MaxPool2d((int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding)
        : base(kernelSize, stride, padding) { }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.MaxPool2d(KernelSize, Stride, Padding);
}

/// <summary>
/// Average pooling over the last two axes of [N, C, H, W] (torch.nn.AvgPool2d with count_include_pad = true): every
/// window is divided by its full size, zero padding included; the stride defaults to the kernel size.
/// </summary>
public sealed class AvgPool2d<T> : Pool2d<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A square window; <paramref name="stride"/> null means the kernel size.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding)) { }

    /// <summary>A (height, width) window, stride and padding each.</summary>
    public AvgPool2d((int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding)
        : base(kernelSize, stride, padding) { }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.AvgPool2d(KernelSize, Stride, Padding);
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
