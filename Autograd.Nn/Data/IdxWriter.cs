using System.Buffers.Binary;
using System.IO.Compression;

namespace Autograd.Nn.Data;

/// <summary>
/// Writes unsigned-byte IDX files, raw or gzip-compressed, atomically (a temporary file in the same folder is
/// moved over the target), so an interrupted write never leaves a truncated file behind.
/// </summary>
public static class IdxWriter
{
    /// <summary>
    /// Writes <paramref name="images"/> to <paramref name="path"/> (magic 0x00000803). Compressed when
    /// <paramref name="gzip"/> is true; when it is null, when the name ends in ".gz".
    /// </summary>
    public static void WriteImages(string path, IdxImages images, bool? gzip = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        Write(path, IdxReader.ImagesMagic, [images.Count, images.Rows, images.Cols], images.Pixels, gzip);
    }

    /// <summary>Writes <paramref name="labels"/> to <paramref name="path"/> (magic 0x00000801); compression as in <see cref="WriteImages"/>.</summary>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels, bool? gzip = null) =>
        Write(path, IdxReader.LabelsMagic, [labels.Length], labels.ToArray(), gzip);

    private static void Write(string path, int magic, int[] dims, byte[] payload, bool? gzip)
    {
        ArgumentNullException.ThrowIfNull(path);
        bool compress = gzip ?? path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var header = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        AtomicFile.Write(path, file =>
        {
            if (!compress)
            {
                file.Write(header);
                file.Write(payload);
                return;
            }
            using var gz = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
            gz.Write(header);
            gz.Write(payload);
        });
    }
}
