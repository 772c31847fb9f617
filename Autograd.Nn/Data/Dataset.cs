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
/// An in-memory labelled data set: <see cref="Count"/> samples of <see cref="FeatureCount"/> features each, with one
/// integer class label per sample. Images (<see cref="FromIdx"/>, <see cref="FromCifar10"/>, <see cref="FromBytes"/>)
/// stay as their pixel bytes, one byte per feature, and become features of type <typeparamref name="T"/> only when
/// read (<see cref="CopyRows"/>, a <see cref="DataLoader{T}"/> batch): scaled by <see cref="Scale"/>, then standardized
/// by <see cref="Standardizer"/> if one was applied, in one vectorized pass. A data set built from feature values
/// (the constructor) holds them as given.
/// </summary>
/// <remarks>
/// Keeping bytes is what lets 60,000 28×28 images take 47 MB instead of 188 MB (float) or 376 MB (double). The
/// features read are the same values, bit for bit, as converting every pixel to <typeparamref name="T"/> up front
/// and standardizing that copy: the conversion divides, subtracts and multiplies in the same order, each rounded once.
/// </remarks>
public sealed class Dataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]? _features;      // the feature values, or null when the samples are pixel bytes
    private readonly byte[]? _pixels;     // the pixel bytes, one row of FeatureCount per stored sample
    private readonly int[]? _rows;        // the stored row of each sample (a part of a split); null: sample i is row i
    // Pixel bytes become (b / _divisor − _shift[j]) · _inverseScale[j]; identity stages are 1, 0 and 1.
    private readonly T _divisor;
    private readonly T[]? _shift, _inverseScale;

    /// <summary>One non-negative class label per sample.</summary>
    public int[] Labels { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>How the pixel bytes are scaled; null when the data set holds feature values rather than pixels.</summary>
    public PixelScale? Scale { get; }

    /// <summary>The standardization applied to the pixels as they are read (see <see cref="Standardizer{T}.Transform"/>), or null.</summary>
    public Standardizer<T>? Standardizer { get; }

    /// <summary>Wraps <paramref name="features"/> ([N, featureCount], row-major) and <paramref name="labels"/> (N) without copying.</summary>
    public Dataset(T[] features, int[] labels, int featureCount)
        : this(features, null, null, CheckedLabels(features, labels, featureCount), featureCount, null, null) { }

    private Dataset(T[]? features, byte[]? pixels, int[]? rows, int[] labels, int featureCount, PixelScale? scale, Standardizer<T>? standardizer)
    {
        _features = features;
        _pixels = pixels;
        _rows = rows;
        _divisor = scale switch
        {
            null or PixelScale.Raw => T.One,
            PixelScale.UnitInterval => T.CreateTruncating(255),
            _ => throw new ArgumentOutOfRangeException(nameof(scale), $"Dataset: unknown pixel scale {scale}."),
        };
        if (standardizer is not null)
        {
            _shift = standardizer.Shift;
            _inverseScale = standardizer.InverseScale;
        }
        else if (pixels is not null)
        {
            _shift = new T[featureCount];
            _inverseScale = new T[featureCount];
            _inverseScale.AsSpan().Fill(T.One);
        }
        Labels = labels;
        FeatureCount = featureCount;
        Scale = scale;
        Standardizer = standardizer;
    }

    /// <summary><paramref name="labels"/>, once they and <paramref name="features"/> are checked to make a data set.</summary>
    private static int[] CheckedLabels(T[] features, int[] labels, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        CheckShape("Dataset", features.Length, labels.Length, featureCount, "feature values");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0) throw new ArgumentException($"Dataset: label {labels[i]} at index {i} is negative.");
        return labels;
    }

    private static void CheckShape(string op, long values, int labels, int featureCount, string what)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), $"{op}: feature count {featureCount} must be positive.");
        if ((long)labels * featureCount != values)
            throw new ArgumentException($"{op}: {values} {what} do not match {labels} labels × {featureCount} features.");
    }

    /// <summary>
    /// The features of sample <paramref name="index"/>. For pixel data this converts the row into a new array on
    /// every call; to read many rows, use <see cref="CopyRows"/> or a <see cref="DataLoader{T}"/>.
    /// </summary>
    public ReadOnlySpan<T> Row(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Dataset: sample {index} of {Count}.");
        if (_features is not null) return _features.AsSpan(StoredRow(index) * FeatureCount, FeatureCount);
        var row = new T[FeatureCount];
        CopyRow(index, row);
        return row;
    }

    /// <summary>
    /// Writes the features of the samples at <paramref name="indices"/>, in that order, into <paramref name="destination"/>
    /// ([indices.Length, FeatureCount], row-major). Allocates nothing.
    /// </summary>
    public void CopyRows(ReadOnlySpan<int> indices, Span<T> destination)
    {
        int d = FeatureCount;
        if (destination.Length != (long)indices.Length * d)
            throw new ArgumentException($"Dataset.CopyRows: destination holds {destination.Length} values, {indices.Length} rows × {d} features need {(long)indices.Length * d}.");
        for (int i = 0; i < indices.Length; i++)
        {
            int sample = indices[i];
            if ((uint)sample >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset.CopyRows: index {sample} at position {i} is outside 0..{Count - 1}.");
            CopyRow(sample, destination.Slice(i * d, d));
        }
    }

    /// <summary>Writes the features of samples first … first + count − 1 into <paramref name="destination"/>.</summary>
    internal void CopyRange(int first, int count, Span<T> destination)
    {
        int d = FeatureCount;
        if (_features is not null && _rows is null) _features.AsSpan(first * d, count * d).CopyTo(destination);
        else
            for (int i = 0; i < count; i++) CopyRow(first + i, destination.Slice(i * d, d));
    }

    private int StoredRow(int sample) => _rows is null ? sample : _rows[sample];

    private void CopyRow(int sample, Span<T> destination)
    {
        int start = StoredRow(sample) * FeatureCount;
        if (_features is not null) _features.AsSpan(start, FeatureCount).CopyTo(destination);
        else PixelConversion.Convert(_pixels.AsSpan(start, FeatureCount), destination, _divisor, _shift, _inverseScale);
    }

    /// <summary>
    /// Samples of <paramref name="featureCount"/> bytes each (copied, one byte per feature), read as features with
    /// <paramref name="scale"/>.
    /// </summary>
    public static Dataset<T> FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int featureCount, PixelScale scale)
    {
        CheckShape("Dataset.FromBytes", pixels.Length, labels.Length, featureCount, "pixel bytes");
        return FromPixels("Dataset.FromBytes", pixels.ToArray(), labels, featureCount, scale);
    }

    /// <summary>
    /// One sample per image (its Rows·Cols pixels as features) with the matching label. The data set shares
    /// <paramref name="images"/>' pixel array (no copy): changing those bytes changes its samples.
    /// </summary>
    public static Dataset<T> FromIdx(IdxImages images, ReadOnlySpan<byte> labels, PixelScale scale)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count != labels.Length)
            throw new ArgumentException($"Dataset.FromIdx: {images.Count} images but {labels.Length} labels.");
        return FromPixels("Dataset.FromIdx", images.Pixels, labels, images.PixelsPerImage, scale);
    }

    /// <summary>
    /// One sample per CIFAR-10 image (3072 features, channel-major) with its label. The data set shares the batch's
    /// pixel array (no copy).
    /// </summary>
    public static Dataset<T> FromCifar10(Cifar10Batch batch, PixelScale scale)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return FromPixels("Dataset.FromCifar10", batch.Pixels, batch.Labels, Cifar10Batch.PixelsPerImage, scale);
    }

    private static Dataset<T> FromPixels(string op, byte[] pixels, ReadOnlySpan<byte> labels, int featureCount, PixelScale scale)
    {
        CheckShape(op, pixels.Length, labels.Length, featureCount, "pixel bytes");
        var ints = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) ints[i] = labels[i];
        return new Dataset<T>(null, pixels, null, ints, featureCount, scale, null);
    }

    /// <summary>This data set's pixels read through <paramref name="standardizer"/> (pixels shared, labels copied).</summary>
    internal Dataset<T> WithStandardizer(Standardizer<T> standardizer) =>
        new(null, _pixels, _rows, (int[])Labels.Clone(), FeatureCount, Scale, standardizer);

    /// <summary>A copy holding the samples at <paramref name="indices"/>, in that order (pixel data stays pixels).</summary>
    public Dataset<T> Subset(ReadOnlySpan<int> indices)
    {
        int d = FeatureCount, length = TableLength("Dataset.Subset", indices.Length, d);
        var labels = SampleLabels("Dataset.Subset", indices);
        if (_features is not null)
        {
            var features = GC.AllocateUninitializedArray<T>(length);
            for (int i = 0; i < indices.Length; i++) _features.AsSpan(StoredRow(indices[i]) * d, d).CopyTo(features.AsSpan(i * d));
            return new Dataset<T>(features, labels, d);
        }
        var pixels = GC.AllocateUninitializedArray<byte>(length);
        for (int i = 0; i < indices.Length; i++) _pixels.AsSpan(StoredRow(indices[i]) * d, d).CopyTo(pixels.AsSpan(i * d));
        return new Dataset<T>(null, pixels, null, labels, d, Scale, Standardizer);
    }

    /// <summary>The samples at <paramref name="indices"/> as a view sharing this data set's storage (labels copied).</summary>
    private Dataset<T> View(ReadOnlySpan<int> indices)
    {
        var labels = SampleLabels("Dataset.Split", indices);
        var rows = new int[indices.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = StoredRow(indices[i]);
        return new Dataset<T>(_features, _pixels, rows, labels, FeatureCount, Scale, Standardizer);
    }

    private int[] SampleLabels(string op, ReadOnlySpan<int> indices)
    {
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int s = indices[i];
            if ((uint)s >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: index {s} at position {i} is outside 0..{Count - 1}.");
            labels[i] = Labels[s];
        }
        return labels;
    }

    /// <summary>
    /// A seeded random split: <c>round(Count·trainFraction)</c> samples for training, the rest for validation.
    /// Each part keeps the shuffled order. The same seed always gives the same split.
    /// </summary>
    /// <remarks>The two parts share this data set's storage (no samples are copied): they are views in shuffled order.</remarks>
    public (Dataset<T> Train, Dataset<T> Validation) Split(double trainFraction, ulong seed)
    {
        if (!(trainFraction >= 0 && trainFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), $"Dataset.Split: train fraction {trainFraction} must be in [0, 1].");
        return Split((int)Math.Round(Count * trainFraction, MidpointRounding.AwayFromZero), seed);
    }

    /// <summary>A seeded random split: <paramref name="trainCount"/> samples for training, the rest for validation (views, as above).</summary>
    public (Dataset<T> Train, Dataset<T> Validation) Split(int trainCount, ulong seed)
    {
        if ((uint)trainCount > (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), $"Dataset.Split: train count {trainCount} must be in 0..{Count}.");
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(seed).Shuffle(order.AsSpan());
        return (View(order.AsSpan(0, trainCount)), View(order.AsSpan(trainCount)));
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

    /// <summary>
    /// Every sample's features in a new [Count, FeatureCount] tensor. This materializes Count·FeatureCount values: it is
    /// meant for small sets and single samples (<c>Subset([i]).FeaturesTensor()</c>); iterate large ones in batches with a
    /// <see cref="DataLoader{T}"/>.
    /// </summary>
    public Tensor<T> FeaturesTensor() => new(FeatureValues(), new Shape(Count, FeatureCount));

    /// <summary>Every sample's features in a new row-major array.</summary>
    internal T[] FeatureValues()
    {
        var features = GC.AllocateUninitializedArray<T>(TableLength("Dataset.FeaturesTensor", Count, FeatureCount));
        CopyRange(0, Count, features);
        return features;
    }

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
