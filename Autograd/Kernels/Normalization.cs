using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

/// <summary>
/// Batch normalization and layer normalization with their fused backward passes.
/// BatchNorm views x as [N, C, S] (S = H·W for [N, C, H, W], S = 1 for [N, C]) and normalizes each channel over its
/// M = N·S values; LayerNorm views x as [rows, D] and normalizes each row over its D trailing values. Both use the
/// biased variance, y = (x − mean)·invStd·γ + β with invStd = 1/√(var + ε), and an empty γ or β (no affine
/// parameters) means γ = 1 or β = 0. Means and variances are two-pass (Σ(x − mean)², not Σx² − M·mean²), so a large
/// mean does not cancel the variance's digits. Sizes are asserted, not validated: the ops check shapes.
/// </summary>
internal static class Normalization
{
    /// <summary>
    /// Training-mode BatchNorm: per channel, the batch mean and biased variance over N·S values, then y. Also writes the
    /// saved statistics backward needs (<paramref name="mean"/>, <paramref name="inverseStd"/>, each [C]) and the unbiased
    /// variance var·M/(M − 1) [C] for the running-statistics update (M = 1 gives +∞ or NaN: the op rejects M = 1, as PyTorch).
    /// </summary>
    public static void BatchNormTrainingForward<T>(int batch, int channels, int spatial, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, T epsilon, Span<T> y, Span<T> mean, Span<T> inverseStd, Span<T> unbiasedVariance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertBatchNorm(batch, channels, spatial, x.Length, y.Length, gamma.Length, beta.Length);
        Debug.Assert(mean.Length >= channels && inverseStd.Length >= channels && unbiasedVariance.Length >= channels, "statistics shorter than [C]");
        T count = T.CreateChecked((long)batch * spatial);
        for (int c = 0; c < channels; c++)
        {
            T sum = T.Zero;
            for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum(Run(x, n, c, channels, spatial));
            T mu = sum / count, squares = T.Zero;
            for (int n = 0; n < batch; n++) squares += SumSquaredDeviations(Run(x, n, c, channels, spatial), mu);
            T variance = squares / count;
            mean[c] = mu;
            inverseStd[c] = T.One / T.Sqrt(variance + epsilon);
            unbiasedVariance[c] = squares / (count - T.One);
            ApplyChannelAffine(batch, channels, spatial, c, x, gamma, beta, mu, inverseStd[c], y);
        }
    }

    /// <summary>Evaluation-mode BatchNorm: y from the given running mean and (unbiased) running variance, each [C].</summary>
    public static void BatchNormEvaluationForward<T>(int batch, int channels, int spatial, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVariance, T epsilon, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertBatchNorm(batch, channels, spatial, x.Length, y.Length, gamma.Length, beta.Length);
        Debug.Assert(runningMean.Length >= channels && runningVariance.Length >= channels, "statistics shorter than [C]");
        for (int c = 0; c < channels; c++)
            ApplyChannelAffine(batch, channels, spatial, c, x, gamma, beta, runningMean[c], T.One / T.Sqrt(runningVariance[c] + epsilon), y);
    }

    /// <summary>
    /// The backward of training-mode BatchNorm (the batch statistics depend on x), from the saved mean and invStd:
    /// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invStd·(dy − dβ/M − x̂·dγ/M) with x̂ = (x − mean)·invStd. An empty
    /// <paramref name="dx"/>, <paramref name="dGamma"/> or <paramref name="dBeta"/> is not computed; each is overwritten, or
    /// added to when its accumulate flag is set.
    /// </summary>
    public static void BatchNormTrainingBackward<T>(int batch, int channels, int spatial, ReadOnlySpan<T> x, ReadOnlySpan<T> dy,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> mean, ReadOnlySpan<T> inverseStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta,
        bool accumulateInput, bool accumulateGamma, bool accumulateBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertBatchNorm(batch, channels, spatial, x.Length, dy.Length, gamma.Length, 0);
        T count = T.CreateChecked((long)batch * spatial);
        for (int c = 0; c < channels; c++)
        {
            T mu = mean[c], invStd = inverseStd[c], sumDy = T.Zero, sumDyDeviation = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                var dyRun = Run(dy, n, c, channels, spatial);
                sumDy += TensorPrimitives.Sum(dyRun);
                sumDyDeviation += DotDeviations(Run(x, n, c, channels, spatial), mu, dyRun);
            }
            T sumDyXHat = sumDyDeviation * invStd;
            if (!dBeta.IsEmpty) dBeta[c] = accumulateBeta ? dBeta[c] + sumDy : sumDy;
            if (!dGamma.IsEmpty) dGamma[c] = accumulateGamma ? dGamma[c] + sumDyXHat : sumDyXHat;
            if (dx.IsEmpty) continue;
            // dx = (dy − mean(dy) − (x − mean)·k)·γ·invStd with k = invStd²·mean(dy·(x − mean)).
            T scale = (gamma.IsEmpty ? T.One : gamma[c]) * invStd, meanDy = sumDy / count;
            T k = sumDyDeviation / count * invStd * invStd;
            for (int n = 0; n < batch; n++)
                BackwardRun(Run(dy, n, c, channels, spatial), Run(x, n, c, channels, spatial), mu, meanDy, k, scale,
                    dx.Slice((n * channels + c) * spatial, spatial), accumulateInput);
        }
    }

    /// <summary>
    /// The backward of evaluation-mode BatchNorm (fixed running statistics: a per-channel affine map):
    /// dx = dy·γ·invStd, dγ = Σ dy·x̂, dβ = Σ dy, with invStd = 1/√(runningVariance + ε). Empty outputs are skipped.
    /// </summary>
    public static void BatchNormEvaluationBackward<T>(int batch, int channels, int spatial, ReadOnlySpan<T> x, ReadOnlySpan<T> dy,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVariance, T epsilon, Span<T> dx, Span<T> dGamma,
        Span<T> dBeta, bool accumulateInput, bool accumulateGamma, bool accumulateBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertBatchNorm(batch, channels, spatial, x.Length, dy.Length, gamma.Length, 0);
        for (int c = 0; c < channels; c++)
        {
            T mu = runningMean[c], invStd = T.One / T.Sqrt(runningVariance[c] + epsilon), sumDy = T.Zero, sumDyDeviation = T.Zero;
            T scale = (gamma.IsEmpty ? T.One : gamma[c]) * invStd;
            for (int n = 0; n < batch; n++)
            {
                var dyRun = Run(dy, n, c, channels, spatial);
                if (!dBeta.IsEmpty) sumDy += TensorPrimitives.Sum(dyRun);
                if (!dGamma.IsEmpty) sumDyDeviation += DotDeviations(Run(x, n, c, channels, spatial), mu, dyRun);
                if (dx.IsEmpty) continue;
                var dxRun = dx.Slice((n * channels + c) * spatial, spatial);
                if (accumulateInput) InPlace.AddScaled(dxRun, dyRun, scale);
                else TensorPrimitives.Multiply(dyRun, scale, dxRun);
            }
            if (!dBeta.IsEmpty) dBeta[c] = accumulateBeta ? dBeta[c] + sumDy : sumDy;
            if (!dGamma.IsEmpty) dGamma[c] = accumulateGamma ? dGamma[c] + sumDyDeviation * invStd : sumDyDeviation * invStd;
        }
    }

    /// <summary>
    /// LayerNorm over each row of x [rows, D] (D = <paramref name="normalizedLength"/>, the product of the normalized
    /// trailing axes): y = (x − mean)·invStd·γ + β with γ, β [D]; the row statistics go to <paramref name="mean"/> and
    /// <paramref name="inverseStd"/>, each [rows].
    /// </summary>
    public static void LayerNormForward<T>(int rows, int normalizedLength, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T epsilon, Span<T> y, Span<T> mean, Span<T> inverseStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertLayerNorm(rows, normalizedLength, x.Length, y.Length, gamma.Length, beta.Length);
        Debug.Assert(mean.Length >= rows && inverseStd.Length >= rows, "statistics shorter than [rows]");
        T count = T.CreateChecked(normalizedLength);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * normalizedLength, normalizedLength);
            T mu = TensorPrimitives.Sum(xr) / count;
            T invStd = T.One / T.Sqrt(SumSquaredDeviations(xr, mu) / count + epsilon);
            mean[r] = mu;
            inverseStd[r] = invStd;
            NormalizeRow(xr, mu, invStd, gamma, beta, y.Slice(r * normalizedLength, normalizedLength));
        }
    }

    /// <summary>
    /// The backward of LayerNorm from the saved row statistics: with g = dy·γ and x̂ = (x − mean)·invStd per row,
    /// dx = invStd·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ_rows dy·x̂, dβ = Σ_rows dy. Empty outputs are skipped.
    /// </summary>
    public static void LayerNormBackward<T>(int rows, int normalizedLength, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> inverseStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta,
        bool accumulateInput, bool accumulateGamma, bool accumulateBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertLayerNorm(rows, normalizedLength, x.Length, dy.Length, gamma.Length, 0);
        int d = normalizedLength;
        if (!dGamma.IsEmpty && !accumulateGamma) dGamma[..d].Clear();
        if (!dBeta.IsEmpty && !accumulateBeta) dBeta[..d].Clear();
        T count = T.CreateChecked(d);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d); var dyr = dy.Slice(r * d, d);
            T mu = mean[r], invStd = inverseStd[r];
            if (!dBeta.IsEmpty) InPlace.Add(dBeta[..d], dyr);
            if (!dGamma.IsEmpty) AddProductWithDeviations(dyr, xr, mu, invStd, dGamma[..d]);
            if (dx.IsEmpty) continue;
            // Σ g and Σ g·(x − mean), g = dy·γ, in one pass.
            T sumG = T.Zero, sumGDeviation = T.Zero;
            for (int j = 0; j < d; j++)
            {
                T g = gamma.IsEmpty ? dyr[j] : dyr[j] * gamma[j];
                sumG += g;
                sumGDeviation += g * (xr[j] - mu);
            }
            T meanG = sumG / count, k = sumGDeviation / count * invStd * invStd;
            var dxr = dx.Slice(r * d, d);
            for (int j = 0; j < d; j++)
            {
                T g = gamma.IsEmpty ? dyr[j] : dyr[j] * gamma[j];
                T value = (g - meanG - (xr[j] - mu) * k) * invStd;
                dxr[j] = accumulateInput ? dxr[j] + value : value;
            }
        }
    }

    // The values of channel c of sample n: x [N, C, S] holds them contiguously.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<T> Run<T>(ReadOnlySpan<T> x, int n, int c, int channels, int spatial) => x.Slice((n * channels + c) * spatial, spatial);

    // y = x·A + B over channel c, A = γ·invStd and B = β − mean·A (the form PyTorch's CPU kernel uses).
    private static void ApplyChannelAffine<T>(int batch, int channels, int spatial, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, T mean, T inverseStd, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = (gamma.IsEmpty ? T.One : gamma[c]) * inverseStd;
        T shift = (beta.IsEmpty ? T.Zero : beta[c]) - mean * scale;
        for (int n = 0; n < batch; n++)
            ScaleShift(Run(x, n, c, channels, spatial), scale, shift, y.Slice((n * channels + c) * spatial, spatial));
    }

    // y = x·scale + shift.
    private static void ScaleShift<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        Vector<T> a = new(scale), b = new(shift);
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count) (Vector.LoadUnsafe(ref xr, (nuint)i) * a + b).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Unsafe.Add(ref xr, i) * scale + shift;
    }

    // Σ (x − mean)².
    private static T SumSquaredDeviations<T>(ReadOnlySpan<T> x, T mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        var sum = Vector<T>.Zero;
        var m = new Vector<T>(mean);
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
        {
            var deviation = Vector.LoadUnsafe(ref xr, (nuint)i) - m;
            sum += deviation * deviation;
        }
        T total = Vector.Sum(sum);
        for (; i < n; i++) { T deviation = Unsafe.Add(ref xr, i) - mean; total += deviation * deviation; }
        return total;
    }

    // Σ (x − mean)·dy.
    private static T DotDeviations<T>(ReadOnlySpan<T> x, T mean, ReadOnlySpan<T> dy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dy);
        int n = x.Length, i = 0;
        var sum = Vector<T>.Zero;
        var m = new Vector<T>(mean);
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            sum += (Vector.LoadUnsafe(ref xr, (nuint)i) - m) * Vector.LoadUnsafe(ref gr, (nuint)i);
        T total = Vector.Sum(sum);
        for (; i < n; i++) total += (Unsafe.Add(ref xr, i) - mean) * Unsafe.Add(ref gr, i);
        return total;
    }

    // dx (+)= (dy − meanDy − (x − mean)·k)·scale.
    private static void BackwardRun<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mean, T meanDy, T k, T scale, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T gr = ref MemoryMarshal.GetReference(dy);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(dx);
        int n = dx.Length, i = 0;
        Vector<T> m = new(mean), md = new(meanDy), vk = new(k), s = new(scale);
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
        {
            var value = (Vector.LoadUnsafe(ref gr, (nuint)i) - md - (Vector.LoadUnsafe(ref xr, (nuint)i) - m) * vk) * s;
            if (accumulate) value += Vector.LoadUnsafe(ref dr, (nuint)i);
            value.StoreUnsafe(ref dr, (nuint)i);
        }
        for (; i < n; i++)
        {
            T value = (Unsafe.Add(ref gr, i) - meanDy - (Unsafe.Add(ref xr, i) - mean) * k) * scale;
            Unsafe.Add(ref dr, i) = accumulate ? Unsafe.Add(ref dr, i) + value : value;
        }
    }

    // y = (x − mean)·invStd·γ + β over one row (γ, β empty: 1 and 0).
    private static void NormalizeRow<T>(ReadOnlySpan<T> x, T mean, T invStd, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ScaleShift(x, invStd, -mean * invStd, y);
        if (!gamma.IsEmpty && !beta.IsEmpty) TensorPrimitives.FusedMultiplyAdd(y, gamma, beta, y);
        else if (!gamma.IsEmpty) TensorPrimitives.Multiply(y, gamma, y);
        else if (!beta.IsEmpty) TensorPrimitives.Add(y, beta, y);
    }

    // dGamma += dy·(x − mean)·invStd.
    private static void AddProductWithDeviations<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mean, T invStd, Span<T> dGamma)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < dGamma.Length; j++) dGamma[j] += dy[j] * (x[j] - mean) * invStd;
    }

    [Conditional("DEBUG")]
    private static void AssertBatchNorm(int batch, int channels, int spatial, int input, int output, int gamma, int beta)
    {
        long length = (long)batch * channels * spatial;
        Debug.Assert(batch > 0 && channels > 0 && spatial > 0 && input >= length && output >= length, "BatchNorm spans too short");
        Debug.Assert((gamma == 0 || gamma == channels) && (beta == 0 || beta == channels), "γ and β must be empty or [C]");
    }

    [Conditional("DEBUG")]
    private static void AssertLayerNorm(int rows, int length, int input, int output, int gamma, int beta)
    {
        long total = (long)rows * length;
        Debug.Assert(rows >= 0 && length > 0 && input >= total && output >= total, "LayerNorm spans too short");
        Debug.Assert((gamma == 0 || gamma == length) && (beta == 0 || beta == length), "γ and β must be empty or [D]");
    }
}
