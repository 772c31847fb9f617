namespace Autograd.Nn.Data;

/// <summary>How pixel bytes become features.</summary>
public enum PixelScale
{
    /// <summary>The byte value itself, 0..255.</summary>
    Raw,

    /// <summary>The byte divided by 255, in [0, 1].</summary>
    UnitInterval,
}

/// <summary>
/// An in-memory labelled data set: <see cref="Count"/> samples of <see cref="FeatureCount"/> features each, stored
/// row-major in <see cref="Features"/> (shape [N, D]), with one integer class label per sample.
/// </summary>
public sealed class Dataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The features, row-major [Count, FeatureCount].</summary>
    public T[] Features { get; }

    /// <summary>One non-negative class label per sample.</summary>
    public int[] Labels { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>Wraps <paramref name="features"/> ([N, featureCount]) and <paramref name="labels"/> (N) without copying.</summary>
    public Dataset(T[] features, int[] labels, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), $"Dataset: feature count {featureCount} must be positive.");
        if ((long)labels.Length * featureCount != features.Length)
            throw new ArgumentException($"Dataset: {features.Length} feature values do not match {labels.Length} labels × {featureCount} features.");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0) throw new ArgumentException($"Dataset: label {labels[i]} at index {i} is negative.");
        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
    }

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> Row(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Dataset: sample {index} of {Count}.");
        return Features.AsSpan(index * FeatureCount, FeatureCount);
    }

    /// <summary>Samples of <paramref name="featureCount"/> bytes each, converted with <paramref name="scale"/>.</summary>
    public static Dataset<T> FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int featureCount, PixelScale scale)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), $"Dataset.FromBytes: feature count {featureCount} must be positive.");
        if ((long)labels.Length * featureCount != pixels.Length)
            throw new ArgumentException($"Dataset.FromBytes: {pixels.Length} pixel bytes do not match {labels.Length} labels × {featureCount} features.");
        // A 256-entry table makes the conversion exact (x/255 rounded once) and branch-free.
        Span<T> table = stackalloc T[256];
        T divisor = T.CreateTruncating(255);
        for (int b = 0; b < 256; b++) table[b] = scale == PixelScale.Raw ? T.CreateTruncating(b) : T.CreateTruncating(b) / divisor;
        var features = GC.AllocateUninitializedArray<T>(pixels.Length);
        for (int i = 0; i < pixels.Length; i++) features[i] = table[pixels[i]];
        var ints = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) ints[i] = labels[i];
        return new Dataset<T>(features, ints, featureCount);
    }

    /// <summary>One sample per image (its Rows·Cols pixels as features) with the matching label.</summary>
    public static Dataset<T> FromIdx(IdxImages images, ReadOnlySpan<byte> labels, PixelScale scale)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count != labels.Length)
            throw new ArgumentException($"Dataset.FromIdx: {images.Count} images but {labels.Length} labels.");
        return FromBytes(images.Pixels, labels, images.PixelsPerImage, scale);
    }

    /// <summary>One sample per CIFAR-10 image (3072 features, channel-major) with its label.</summary>
    public static Dataset<T> FromCifar10(Cifar10Batch batch, PixelScale scale)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return FromBytes(batch.Pixels, batch.Labels, Cifar10Batch.PixelsPerImage, scale);
    }

    /// <summary>A copy holding the samples at <paramref name="indices"/>, in that order.</summary>
    public Dataset<T> Subset(ReadOnlySpan<int> indices)
    {
        var features = GC.AllocateUninitializedArray<T>(TableLength("Dataset.Subset", indices.Length, FeatureCount));
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int s = indices[i];
            if ((uint)s >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset.Subset: index {s} at position {i} is outside 0..{Count - 1}.");
            Features.AsSpan(s * FeatureCount, FeatureCount).CopyTo(features.AsSpan(i * FeatureCount));
            labels[i] = Labels[s];
        }
        return new Dataset<T>(features, labels, FeatureCount);
    }

    /// <summary>
    /// A seeded random split: <c>round(Count·trainFraction)</c> samples for training, the rest for validation.
    /// Each part keeps the shuffled order. The same seed always gives the same split.
    /// </summary>
    public (Dataset<T> Train, Dataset<T> Validation) Split(double trainFraction, ulong seed)
    {
        if (!(trainFraction >= 0 && trainFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), $"Dataset.Split: train fraction {trainFraction} must be in [0, 1].");
        return Split((int)Math.Round(Count * trainFraction, MidpointRounding.AwayFromZero), seed);
    }

    /// <summary>A seeded random split: <paramref name="trainCount"/> samples for training, the rest for validation.</summary>
    public (Dataset<T> Train, Dataset<T> Validation) Split(int trainCount, ulong seed)
    {
        if ((uint)trainCount > (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), $"Dataset.Split: train count {trainCount} must be in 0..{Count}.");
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(seed).Shuffle(order.AsSpan());
        return (Subset(order.AsSpan(0, trainCount)), Subset(order.AsSpan(trainCount)));
    }

    /// <summary>The labels one-hot encoded, row-major [Count, <paramref name="classes"/>].</summary>
    public T[] OneHot(int classes)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"OneHot: class count {classes} must be positive.");
        var result = new T[TableLength("OneHot", Count, classes)];
        OneHotInto(Labels, classes, result);
        return result;
    }

    /// <summary>Writes the one-hot encoding of <paramref name="labels"/> into <paramref name="destination"/> ([labels.Length, classes]).</summary>
    public static void OneHotInto(ReadOnlySpan<int> labels, int classes, Span<T> destination)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"OneHot: class count {classes} must be positive.");
        if (destination.Length != (long)labels.Length * classes)
            throw new ArgumentException($"OneHot: destination holds {destination.Length} values, {labels.Length} labels × {classes} classes need {(long)labels.Length * classes}.");
        destination.Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classes) throw new ArgumentException($"OneHot: label {label} at index {i} is outside 0..{classes - 1}.");
            destination[i * classes + label] = T.One;
        }
    }

    /// <summary>rows·columns, the length of a row-major table, or an exception naming <paramref name="op"/> when no array can hold it.</summary>
    internal static int TableLength(string op, int rows, int columns)
    {
        long length = (long)rows * columns;
        if (length > Array.MaxLength)
            throw new ArgumentException($"{op}: [{rows}, {columns}] has {length} elements, more than the {Array.MaxLength} an array can hold.");
        return (int)length;
    }

    /// <summary>The features as a [Count, FeatureCount] tensor sharing this data set's storage (no copy).</summary>
    public Tensor<T> FeaturesTensor() => new(Features, new Shape(Count, FeatureCount));

    /// <summary>How many samples carry each label 0..classes-1.</summary>
    public int[] ClassCounts(int classes)
    {
        var counts = new int[classes];
        foreach (int label in Labels)
        {
            if (label >= classes) throw new ArgumentException($"ClassCounts: label {label} is outside 0..{classes - 1}.");
            counts[label]++;
        }
        return counts;
    }
}
