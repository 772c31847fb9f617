using System.Numerics.Tensors;

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

    /// <summary>True when feature <paramref name="feature"/> was constant on the training set and is passed through.</summary>
    public bool IsConstant(int feature) => _std[feature] == 0;

    /// <summary>Fits means and standard deviations on <paramref name="train"/>.</summary>
    public static Standardizer<T> Fit(Dataset<T> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train.Features, train.FeatureCount);
    }

    /// <summary>Fits on row-major <paramref name="features"/> with <paramref name="featureCount"/> columns.</summary>
    public static Standardizer<T> Fit(ReadOnlySpan<T> features, int featureCount)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), $"Standardizer.Fit: feature count {featureCount} must be positive.");
        if (features.Length == 0 || features.Length % featureCount != 0)
            throw new ArgumentException($"Standardizer.Fit: {features.Length} values are not a positive whole number of rows of {featureCount}.");
        int rows = features.Length / featureCount;
        var mean = new double[featureCount];
        var std = new double[featureCount];
        // Two passes in double: a constant column then has exactly zero variance, whatever its value.
        for (int r = 0; r < rows; r++)
        {
            var row = features.Slice(r * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++) mean[j] += double.CreateChecked(row[j]);
        }
        for (int j = 0; j < featureCount; j++) mean[j] /= rows;
        for (int r = 0; r < rows; r++)
        {
            var row = features.Slice(r * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                double d = double.CreateChecked(row[j]) - mean[j];
                std[j] += d * d;
            }
        }
        for (int j = 0; j < featureCount; j++)
        {
            std[j] = Math.Sqrt(std[j] / rows);
            if (!double.IsFinite(std[j]) || !double.IsFinite(mean[j]))
                throw new ArgumentException($"Standardizer.Fit: feature {j} has a non-finite mean or std (NaN or infinite inputs).");
        }
        return new Standardizer<T>(mean, std);
    }

    /// <summary>A standardized copy of <paramref name="data"/> (labels copied too).</summary>
    public Dataset<T> Transform(Dataset<T> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var features = (T[])data.Features.Clone();
        TransformInPlace(features, data.FeatureCount);
        return new Dataset<T>(features, (int[])data.Labels.Clone(), data.FeatureCount);
    }

    /// <summary>Standardizes row-major <paramref name="features"/> in place.</summary>
    public void TransformInPlace(Span<T> features, int featureCount)
    {
        if (featureCount != FeatureCount)
            throw new ArgumentException($"Standardizer.Transform: data has {featureCount} features, the standardizer was fitted on {FeatureCount}.");
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
