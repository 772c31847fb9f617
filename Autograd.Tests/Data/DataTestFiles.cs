using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autograd-data-tests-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Generated IDX and CIFAR content with known values.</summary>
internal static class DataTestFiles
{
    /// <summary>Images whose pixels follow a pattern that differs per image and position.</summary>
    public static IdxImages Images(int count, int rows = 4, int cols = 3, int seed = 1)
    {
        var pixels = new byte[count * rows * cols];
        var rng = new Rng((ulong)seed);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        return new IdxImages(count, rows, cols, pixels);
    }

    public static byte[] Labels(int count, int classes = 10) => Enumerable.Range(0, count).Select(i => (byte)(i * 7 % classes)).ToArray();

    /// <summary>A big-endian IDX header followed by <paramref name="payload"/>.</summary>
    public static byte[] RawIdx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new List<byte>();
        void Int(int v) { bytes.Add((byte)(v >> 24)); bytes.Add((byte)(v >> 16)); bytes.Add((byte)(v >> 8)); bytes.Add((byte)v); }
        Int(magic);
        foreach (var d in dims) Int(d);
        bytes.AddRange(payload);
        return bytes.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>CIFAR-10 records: label i % 10, pixel bytes (i + j) % 251 so every record is distinguishable.</summary>
    public static byte[] CifarRecords(int count, int firstIndex = 0)
    {
        var bytes = new byte[count * Cifar10Reader.RecordSize];
        for (int r = 0; r < count; r++)
        {
            int i = firstIndex + r;
            bytes[r * Cifar10Reader.RecordSize] = (byte)(i % 10);
            for (int j = 0; j < Cifar10Batch.PixelsPerImage; j++) bytes[r * Cifar10Reader.RecordSize + 1 + j] = (byte)((i + j) % 251);
        }
        return bytes;
    }
}
