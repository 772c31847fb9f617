using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn.Data;

/// <summary>
/// Per-feature standardization x' = (x − mean) / std, fitted on the training set and applied unchanged to the others
/// (so validation and test data never leak into the statistics). The standard deviation is the population one
/// (divisor N). A feature that is constant on the training set (std 0) is left exactly as it is.
/// </summary>
public sealed class Standardizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _mean, _std;
    private readonly T[] _shift, _inverseScale;

    /// <summary>The fitted means, one per feature.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The fitted standard deviations, one per feature (0 for constant features).</summary>
    public IReadOnlyList<double> Std => _std;

    /// <summary>Number of features.</summary>
    public int FeatureCount => _mean.Length;

    private Standardizer(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
        _shift = new T[mean.Length];
        _inverseScale = new T[mean.Length];
        for (int j = 0; j < mean.Length; j++)
        {
            bool constant = std[j] == 0;
            _shift[j] = constant ? T.Zero : T.CreateChecked(mean[j]);
            _inverseScale[j] = constant ? T.One : T.CreateChecked(1.0 / std[j]);
        }
    }

    /// <summary>The value subtracted from each feature (its mean; 0 for a constant feature).</summary>
    internal T[] Shift => _shift;

    /// <summary>The factor each centred feature is multiplied by (1/std; 1 for a constant feature).</summary>
    internal T[] InverseScale => _inverseScale;

    /// <summary>True when feature <paramref name="feature"/> was constant on the training set and is passed through.</summary>
    public bool IsConstant(int feature) => _std[feature] == 0;

    /// <summary>Fits means and standard deviations on <paramref name="train"/> (pixel data is read in blocks, never copied whole).</summary>
    public static Standardizer<T> Fit(Dataset<T> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int d = train.FeatureCount;
        if (train.Count == 0) return Fit(ReadOnlySpan<T>.Empty, d);
        var moments = new Moments(d);
        var block = new T[Math.Min(train.Count, Math.Max(1, FitBlockValues / d)) * d];
        for (int pass = 0; pass < 2; pass++)
        {
            for (int first = 0; first < train.Count; first += block.Length / d)
            {
                int rows = Math.Min(block.Length / d, train.Count - first);
                var values = block.AsSpan(0, rows * d);
                train.CopyRange(first, rows, values);
                moments.Add(values, pass);
            }
            moments.EndPass(pass, train.Count);
        }
        return new Standardizer<T>(moments.Mean, moments.Std);
    }

    // Rows converted at a time while fitting pixel data: 64 KiB of floats, enough to amortize the loop, small enough for L2.
    private const int FitBlockValues = 16_384;

    /// <summary>Fits on row-major <paramref name="features"/> with <paramref name="featureCount"/> columns.</summary>
    public static Standardizer<T> Fit(ReadOnlySpan<T> features, int featureCount)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), $"Standardizer.Fit: feature count {featureCount} must be positive.");
        if (features.Length == 0 || features.Length % featureCount != 0)
            throw new ArgumentException($"Standardizer.Fit: {features.Length} values are not a positive whole number of rows of {featureCount}.");
        var moments = new Moments(featureCount);
        for (int pass = 0; pass < 2; pass++)
        {
            moments.Add(features, pass);
            moments.EndPass(pass, features.Length / featureCount);
        }
        return new Standardizer<T>(moments.Mean, moments.Std);
    }

    /// <summary>
    /// Per-feature sums in double, row after row: pass 0 sums the values (then divides by N: the mean), pass 1 sums the
    /// squared deviations from that mean (then the square root of their mean: the population std). Two passes make a
    /// constant column's variance exactly zero, whatever its value. Each row is widened to double once and added
    /// element-wise, which gives the same sums, bit for bit, as adding value after value per feature.
    /// </summary>
    private sealed class Moments(int featureCount)
    {
        public readonly double[] Mean = new double[featureCount], Std = new double[featureCount];
        private readonly double[] _row = new double[featureCount];

        public void Add(ReadOnlySpan<T> rows, int pass)
        {
            for (int start = 0; start < rows.Length; start += featureCount)
            {
                TensorPrimitives.ConvertChecked(rows.Slice(start, featureCount), _row.AsSpan());
                if (pass == 0) InPlace.Add(Mean.AsSpan(), _row);
                else
                {
                    InPlace.Subtract(_row.AsSpan(), Mean);
                    InPlace.AddProduct(Std.AsSpan(), _row, _row);
                }
            }
        }

        public void EndPass(int pass, int rows)
        {
            for (int j = 0; j < featureCount; j++)
            {
                if (pass == 0)
                {
                    Mean[j] /= rows;
                    continue;
                }
                Std[j] = Math.Sqrt(Std[j] / rows);
                if (!double.IsFinite(Std[j]) || !double.IsFinite(Mean[j]))
                    throw new ArgumentException($"Standardizer.Fit: feature {j} has a non-finite mean or std (NaN or infinite inputs).");
            }
        }
    }

    /// <summary>
    /// <paramref name="data"/> standardized, labels copied. Pixel data keeps sharing its bytes and is standardized as it
    /// is read (no feature values are stored); feature values are copied and transformed.
    /// </summary>
    public Dataset<T> Transform(Dataset<T> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatureCount(data.FeatureCount);
        if (data.Scale is not null && data.Standardizer is null) return data.WithStandardizer(this);
        // Feature values, or pixels already standardized once: materialize, then standardize that copy.
        var features = data.FeatureValues();
        TransformInPlace(features, data.FeatureCount);
        return new Dataset<T>(features, (int[])data.Labels.Clone(), data.FeatureCount);
    }

    private void CheckFeatureCount(int featureCount)
    {
        if (featureCount != FeatureCount)
            throw new ArgumentException($"Standardizer.Transform: data has {featureCount} features, the standardizer was fitted on {FeatureCount}.");
    }

    /// <summary>Standardizes row-major <paramref name="features"/> in place.</summary>
    public void TransformInPlace(Span<T> features, int featureCount)
    {
        CheckFeatureCount(featureCount);
        if (features.Length % featureCount != 0)
            throw new ArgumentException($"Standardizer.Transform: {features.Length} values are not a whole number of rows of {featureCount}.");
        for (int start = 0; start < features.Length; start += featureCount)
        {
            var row = features.Slice(start, featureCount);
            TensorPrimitives.Subtract(row, _shift, row);
            TensorPrimitives.Multiply(row, _inverseScale, row);
        }
    }
}
