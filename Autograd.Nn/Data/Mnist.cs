namespace Autograd.Nn.Data;

/// <summary>Loads the full MNIST data set (60,000 training and 10,000 test digits) from IDX files.</summary>
public static class Mnist
{
    /// <summary>
    /// Reads the four files from <paramref name="directory"/>. Each may be gzipped (<c>train-images-idx3-ubyte.gz</c>)
    /// or not (<c>train-images-idx3-ubyte</c>); the content decides, not the name.
    /// </summary>
    public static (Dataset<T> Train, Dataset<T> Test) LoadDirectory<T>(string directory, PixelScale scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(directory);
        var paths = new string[MnistDownloader.FileNames.Count];
        var missing = new List<string>();
        for (int i = 0; i < paths.Length; i++)
        {
            string gz = Path.Combine(directory, MnistDownloader.FileNames[i]);
            string raw = gz[..^3];
            paths[i] = File.Exists(gz) ? gz : File.Exists(raw) ? raw : "";
            if (paths[i].Length == 0) missing.Add(MnistDownloader.FileNames[i]);
        }
        if (missing.Count > 0)
            throw new FileNotFoundException(
                $"MNIST folder '{Path.GetFullPath(directory)}' lacks {string.Join(", ", missing)} (gzipped or not); it needs {string.Join(", ", MnistDownloader.FileNames)}.");
        return (Pair<T>(paths[0], paths[1], scale), Pair<T>(paths[2], paths[3], scale));
    }

    /// <summary>
    /// Loads MNIST from <paramref name="dataDirectory"/> when given, otherwise from the per-user cache, downloading
    /// what is missing with <paramref name="downloader"/> (default: a <see cref="MnistDownloader"/> with default settings).
    /// </summary>
    public static (Dataset<T> Train, Dataset<T> Test) Load<T>(string? dataDirectory = null, PixelScale scale = PixelScale.UnitInterval,
        MnistDownloader? downloader = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string dir = dataDirectory ?? (downloader ?? new MnistDownloader()).Ensure();
        return LoadDirectory<T>(dir, scale);
    }

    private static Dataset<T> Pair<T>(string imagesPath, string labelsPath, PixelScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidDataException($"MNIST: '{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels.");
        return Dataset<T>.FromIdx(images, labels, scale);
    }
}
