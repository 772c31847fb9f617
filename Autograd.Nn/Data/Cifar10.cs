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
        long count = 0;
        foreach (var b in batches) count += (b ?? throw new ArgumentNullException(nameof(batches), "Cifar10Batch.Concat: a batch is null.")).Count;
        if (count * PixelsPerImage > Array.MaxLength)
            throw new ArgumentException($"Cifar10Batch.Concat: {batches.Count} batches of {count} images in all need {count * PixelsPerImage} pixel bytes, " +
                                        $"more than one array can hold ({Array.MaxLength}).");
        var pixels = new byte[count * PixelsPerImage];
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

    /// <summary>
    /// Reads one batch file (normally 10,000 records; any positive whole number of records is accepted, up to what one
    /// pixel array can hold). The file is read record by record, not loaded whole.
    /// </summary>
    public static Cifar10Batch ReadBatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = InputFile.Open(path, "CIFAR-10 file");
        int count = RecordCount(file, path, alreadyCounted: 0);
        var labels = new byte[count];
        var pixels = GC.AllocateUninitializedArray<byte>(count * Cifar10Batch.PixelsPerImage);
        ReadRecords(file, path, pixels, labels);
        return new Cifar10Batch(pixels, labels);
    }

    /// <summary>
    /// The records in <paramref name="file"/>, checked to be a whole positive number that fits, with
    /// <paramref name="alreadyCounted"/> records of earlier files, in one pixel array.
    /// </summary>
    private static int RecordCount(FileStream file, string path, long alreadyCounted)
    {
        long length = file.Length;
        if (length == 0 || length % RecordSize != 0)
            throw new InvalidDataException(
                $"CIFAR-10 file '{path}': length {length} bytes is not a positive multiple of the {RecordSize}-byte record " +
                $"({length / RecordSize} whole record(s) and {length % RecordSize} byte(s) left over).");
        long count = length / RecordSize;
        if ((alreadyCounted + count) * Cifar10Batch.PixelsPerImage > Array.MaxLength)
            throw new InvalidDataException(
                $"CIFAR-10 file '{path}': {length} bytes hold {count} records, whose {count * Cifar10Batch.PixelsPerImage} pixel bytes " +
                (alreadyCounted > 0 ? $"with those of the {alreadyCounted} records before them " : "") +
                $"are more than one array can hold ({Array.MaxLength}); a CIFAR-10 batch file has 10,000 records ({10_000L * RecordSize} bytes).");
        return (int)count;
    }

    /// <summary>Reads <c>labels.Length</c> records into <paramref name="pixels"/> and <paramref name="labels"/>.</summary>
    private static void ReadRecords(FileStream file, string path, Span<byte> pixels, Span<byte> labels)
    {
        try
        {
            for (int i = 0; i < labels.Length; i++)
            {
                int label = file.ReadByte();
                if (label < 0) throw new EndOfStreamException();
                if (label >= Cifar10Batch.ClassCount)
                    throw new InvalidDataException($"CIFAR-10 file '{path}': record {i} (byte offset {(long)i * RecordSize}) has label {label}, outside 0..9.");
                labels[i] = (byte)label;
                file.ReadExactly(pixels.Slice(i * Cifar10Batch.PixelsPerImage, Cifar10Batch.PixelsPerImage));
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"CIFAR-10 file '{path}': the file ended before its {labels.Length} records were read (it changed while being read?).");
        }
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
        return (ReadConcatenated(TrainFiles.Select(name => Path.Combine(dir, name)).ToArray()), ReadBatch(Path.Combine(dir, TestFile)));
    }

    /// <summary>
    /// The batch files one after the other, read straight into one pixel array sized from the files' lengths (no
    /// per-file arrays to concatenate, so the pixels are held once).
    /// </summary>
    private static Cifar10Batch ReadConcatenated(string[] paths)
    {
        var files = new FileStream[paths.Length];
        try
        {
            var counts = new int[paths.Length];
            long total = 0;
            for (int f = 0; f < paths.Length; f++)
            {
                files[f] = InputFile.Open(paths[f], "CIFAR-10 file");
                counts[f] = RecordCount(files[f], paths[f], total);
                total += counts[f];
            }
            var labels = new byte[total];
            var pixels = GC.AllocateUninitializedArray<byte>((int)total * Cifar10Batch.PixelsPerImage);
            int at = 0;
            for (int f = 0; f < paths.Length; f++)
            {
                ReadRecords(files[f], paths[f], pixels.AsSpan(at * Cifar10Batch.PixelsPerImage, counts[f] * Cifar10Batch.PixelsPerImage), labels.AsSpan(at, counts[f]));
                at += counts[f];
            }
            return new Cifar10Batch(pixels, labels);
        }
        finally
        {
            foreach (var file in files) file?.Dispose();
        }
    }
}
