namespace Autograd.Nn.Data;

/// <summary>
/// CIFAR-10 images with labels: <see cref="Count"/> 32×32 colour images, each stored channel-major
/// (1024 red, then 1024 green, then 1024 blue bytes, each plane row-major), as in the binary distribution.
/// </summary>
public sealed class Cifar10Batch
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 32;

    /// <summary>Colour channels.</summary>
    public const int Channels = 3;

    /// <summary>Bytes per image (3·32·32).</summary>
    public const int PixelsPerImage = Channels * Side * Side;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary><c>Count·3072</c> pixel bytes, image after image.</summary>
    public byte[] Pixels { get; }

    /// <summary>One label (0..9) per image.</summary>
    public byte[] Labels { get; }

    /// <summary>Wraps the arrays (no copy).</summary>
    public Cifar10Batch(byte[] pixels, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if ((long)labels.Length * PixelsPerImage != pixels.Length)
            throw new ArgumentException($"Cifar10Batch: {pixels.Length} pixel bytes do not match {labels.Length} labels × {PixelsPerImage}.");
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>The batches one after the other.</summary>
    public static Cifar10Batch Concat(IReadOnlyList<Cifar10Batch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        int count = 0;
        foreach (var b in batches) count = checked(count + b.Count);
        var pixels = new byte[checked(count * PixelsPerImage)];
        var labels = new byte[count];
        int at = 0;
        foreach (var b in batches)
        {
            b.Pixels.CopyTo(pixels, at * PixelsPerImage);
            b.Labels.CopyTo(labels, at);
            at += b.Count;
        }
        return new Cifar10Batch(pixels, labels);
    }
}

/// <summary>
/// Reads the CIFAR-10 binary version (<c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>, <c>test_batch.bin</c>):
/// records of 1 label byte followed by 3072 pixel bytes. Errors are <see cref="InvalidDataException"/>s naming the file.
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Bytes per record: the label and the pixels.</summary>
    public const int RecordSize = 1 + Cifar10Batch.PixelsPerImage;

    /// <summary>The training batch file names, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test batch file name.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Reads one batch file (normally 10,000 records; any positive whole number of records is accepted).</summary>
    public static Cifar10Batch ReadBatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CIFAR-10 file '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes.Length % RecordSize != 0)
            throw new InvalidDataException(
                $"CIFAR-10 file '{path}': length {bytes.Length} bytes is not a positive multiple of the {RecordSize}-byte record " +
                $"({bytes.Length / RecordSize} whole record(s) and {bytes.Length % RecordSize} byte(s) left over).");
        int count = bytes.Length / RecordSize;
        var labels = new byte[count];
        var pixels = GC.AllocateUninitializedArray<byte>(count * Cifar10Batch.PixelsPerImage);
        for (int i = 0; i < count; i++)
        {
            byte label = bytes[i * RecordSize];
            if (label >= Cifar10Batch.ClassCount)
                throw new InvalidDataException($"CIFAR-10 file '{path}': record {i} (byte offset {(long)i * RecordSize}) has label {label}, outside 0..9.");
            labels[i] = label;
            bytes.AsSpan(i * RecordSize + 1, Cifar10Batch.PixelsPerImage).CopyTo(pixels.AsSpan(i * Cifar10Batch.PixelsPerImage));
        }
        return new Cifar10Batch(pixels, labels);
    }

    /// <summary>
    /// Reads the five training batches (concatenated in order) and the test batch from <paramref name="directory"/>,
    /// or from its <c>cifar-10-batches-bin</c> subfolder (the layout of the extracted archive).
    /// </summary>
    public static (Cifar10Batch Train, Cifar10Batch Test) LoadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string dir = directory;
        string nested = Path.Combine(directory, "cifar-10-batches-bin");
        if (!File.Exists(Path.Combine(dir, TestFile)) && Directory.Exists(nested)) dir = nested;
        var missing = new List<string>();
        foreach (var name in TrainFiles.Append(TestFile))
            if (!File.Exists(Path.Combine(dir, name))) missing.Add(name);
        if (missing.Count > 0)
            throw new FileNotFoundException(
                $"CIFAR-10 folder '{dir}' lacks {string.Join(", ", missing)}; it needs {string.Join(", ", TrainFiles)} and {TestFile} " +
                "(the binary version of the data set).");
        var train = new List<Cifar10Batch>(TrainFiles.Count);
        foreach (var name in TrainFiles) train.Add(ReadBatch(Path.Combine(dir, name)));
        return (Cifar10Batch.Concat(train), ReadBatch(Path.Combine(dir, TestFile)));
    }
}
