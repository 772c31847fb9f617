namespace Autograd.Nn.Data;

/// <summary>
/// Grayscale images as stored in an IDX file (MNIST, Fashion-MNIST, KMNIST): <see cref="Count"/> images of
/// <see cref="Rows"/>×<see cref="Cols"/> unsigned bytes, row-major, image after image.
/// </summary>
public sealed class IdxImages
{
    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Cols { get; }

    /// <summary>All pixels, <c>Count·Rows·Cols</c> bytes (0 = background in MNIST).</summary>
    public byte[] Pixels { get; }

    /// <summary>Pixels per image.</summary>
    public int PixelsPerImage => Rows * Cols;

    /// <summary>Wraps <paramref name="pixels"/> (no copy); its length must be <c>count·rows·cols</c>.</summary>
    public IdxImages(int count, int rows, int cols, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 0 || rows <= 0 || cols <= 0)
            throw new ArgumentException($"IdxImages: invalid dimensions {count}×{rows}×{cols}.");
        if ((long)count * rows * cols != pixels.Length)
            throw new ArgumentException($"IdxImages: {pixels.Length} pixels do not match {count}×{rows}×{cols} = {(long)count * rows * cols}.");
        Count = count;
        Rows = rows;
        Cols = cols;
        Pixels = pixels;
    }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"IdxImages: image {index} of {Count}.");
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }
}
