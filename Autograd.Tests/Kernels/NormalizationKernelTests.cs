using Autograd.Kernels;
using static Autograd.Tests.Kernels.ConvolutionKernelTests;
using static Autograd.Tests.Kernels.PoolingKernelTests;

namespace Autograd.Tests.Kernels;

/// <summary>
/// BatchNorm (training and evaluation) and LayerNorm: forwards and saved statistics against naive float64 formulas,
/// fused backwards against central differences of the naive forward (in training, through the batch statistics),
/// with and without affine parameters; accumulation; float32 against float64, also with a large mean.
/// </summary>
public class NormalizationKernelTests
{
    private const double Epsilon = 1e-5;
    // Normalization is strongly curved where a row's values are close: a small step keeps the truncation error down.
    private const double Step = 1e-6;

    // (batch, channels, spatial): [N, C] is spatial 1; [N, C, H, W] is spatial H·W; N = 1 with a plane still has M > 1.
    public static readonly object[] BatchNormShapes = [new[] { 4, 3, 1 }, new[] { 2, 3, 20 }, new[] { 1, 2, 7 }, new[] { 3, 1, 9 }, new[] { 5, 4, 33 }];

    [TestCaseSource(nameof(BatchNormShapes))]
    public void BatchNormTrainingForwardMatchesNaiveStatistics(int[] shape)
    {
        int n = shape[0], c = shape[1], s = shape[2];
        var (x, gamma, beta) = BatchNormInputs(n, c, s, offset: 0);
        var (y, mean, invStd, unbiased) = RunTrainingForward<double>(n, c, s, x, gamma, beta);
        var naive = NaiveBatchNorm(n, c, s, x, gamma, beta);
        AssertClose(y, naive.Y, 1e-12, "y");
        AssertClose(mean, naive.Mean, 1e-14, "mean");
        AssertClose(invStd, naive.Variance.Select(v => 1 / Math.Sqrt(v + Epsilon)).ToArray(), 1e-12, "invStd");
        int m = n * s;
        AssertClose(unbiased, naive.Variance.Select(v => v * m / (m - 1)).ToArray(), 1e-13, "unbiased variance");

        var (yNoAffine, _, _, _) = RunTrainingForward<double>(n, c, s, x, [], []);
        AssertClose(yNoAffine, NaiveBatchNorm(n, c, s, x, Ones(c), new double[c]).Y, 1e-12, "y without affine");
    }

    [TestCaseSource(nameof(BatchNormShapes))]
    public void BatchNormTrainingBackwardMatchesCentralDifferences(int[] shape)
    {
        int n = shape[0], c = shape[1], s = shape[2];
        var (x, gamma, beta) = BatchNormInputs(n, c, s, offset: 0.5);
        var dy = Uniform(n * c * s, seed: 21);
        var (_, mean, invStd, _) = RunTrainingForward<double>(n, c, s, x, gamma, beta);
        var dx = new double[x.Length]; var dGamma = new double[c]; var dBeta = new double[c];
        Normalization.BatchNormTrainingBackward<double>(n, c, s, x, dy, gamma, mean, invStd, dx, dGamma, dBeta, false, false, false);
        CheckAgainstDifferences(x, dy, v => NaiveBatchNorm(n, c, s, v, gamma, beta).Y, dx, "dx", Step);
        CheckAgainstDifferences(gamma, dy, v => NaiveBatchNorm(n, c, s, x, v, beta).Y, dGamma, "dγ", Step);
        CheckAgainstDifferences(beta, dy, v => NaiveBatchNorm(n, c, s, x, gamma, v).Y, dBeta, "dβ", Step);

        // Without affine parameters (γ = 1): dx only, the γ and β gradients not asked for.
        var (_, mean1, invStd1, _) = RunTrainingForward<double>(n, c, s, x, [], []);
        var dxPlain = new double[x.Length];
        Normalization.BatchNormTrainingBackward<double>(n, c, s, x, dy, [], mean1, invStd1, dxPlain, [], [], false, false, false);
        CheckAgainstDifferences(x, dy, v => NaiveBatchNorm(n, c, s, v, Ones(c), new double[c]).Y, dxPlain, "dx without affine", Step);
    }

    [TestCaseSource(nameof(BatchNormShapes))]
    public void BatchNormEvaluationUsesTheRunningStatistics(int[] shape)
    {
        int n = shape[0], c = shape[1], s = shape[2];
        var (x, gamma, beta) = BatchNormInputs(n, c, s, offset: 0);
        var runningMean = Uniform(c, seed: 22);
        var runningVariance = Uniform(c, seed: 23).Select(v => 0.5 + v * v).ToArray();
        double[] Forward(double[] xs, double[] g, double[] b)
        {
            var y = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                int ch = i / s % c;
                y[i] = (xs[i] - runningMean[ch]) / Math.Sqrt(runningVariance[ch] + Epsilon) * g[ch] + b[ch];
            }
            return y;
        }
        var actual = new double[x.Length];
        Normalization.BatchNormEvaluationForward<double>(n, c, s, x, gamma, beta, runningMean, runningVariance, Epsilon, actual);
        AssertClose(actual, Forward(x, gamma, beta), 1e-12, "y");

        var dy = Uniform(x.Length, seed: 24);
        var dx = Uniform(x.Length, seed: 25); var dGamma = Uniform(c, seed: 26); var dBeta = Uniform(c, seed: 27);
        var (dx0, dGamma0, dBeta0) = ((double[])dx.Clone(), (double[])dGamma.Clone(), (double[])dBeta.Clone());
        Normalization.BatchNormEvaluationBackward<double>(n, c, s, x, dy, gamma, runningMean, runningVariance, Epsilon,
            dx, dGamma, dBeta, true, true, true);
        CheckAgainstDifferences(x, dy, v => Forward(v, gamma, beta), Subtract(dx, dx0), "dx", Step);
        CheckAgainstDifferences(gamma, dy, v => Forward(x, v, beta), Subtract(dGamma, dGamma0), "dγ", Step);
        CheckAgainstDifferences(beta, dy, v => Forward(x, gamma, v), Subtract(dBeta, dBeta0), "dβ", Step);
    }

    [Test]
    public void BatchNormBackwardAccumulatesEachOutputOnItsOwnFlag()
    {
        int n = 3, c = 2, s = 5;
        var (x, gamma, beta) = BatchNormInputs(n, c, s, offset: 0);
        var dy = Uniform(n * c * s, seed: 28);
        var (_, mean, invStd, _) = RunTrainingForward<double>(n, c, s, x, gamma, beta);
        var fresh = (dx: new double[x.Length], dGamma: new double[c], dBeta: new double[c]);
        Normalization.BatchNormTrainingBackward<double>(n, c, s, x, dy, gamma, mean, invStd, fresh.dx, fresh.dGamma, fresh.dBeta, false, false, false);
        var dx = Enumerable.Repeat(1.0, x.Length).ToArray(); var dGamma = Enumerable.Repeat(double.NaN, c).ToArray(); var dBeta = Ones(c);
        Normalization.BatchNormTrainingBackward<double>(n, c, s, x, dy, gamma, mean, invStd, dx, dGamma, dBeta, true, false, true);
        AssertClose(dx, fresh.dx.Select(v => v + 1).ToArray(), 1e-14, "dx accumulated");
        AssertClose(dGamma, fresh.dGamma, 1e-14, "dγ overwritten");
        AssertClose(dBeta, fresh.dBeta.Select(v => v + 1).ToArray(), 1e-14, "dβ accumulated");
    }

    [TestCase(0.0), TestCase(100.0)]
    public void BatchNormFloatAgreesWithDouble(double offset)
    {
        int n = 8, c = 3, s = 49;
        var (x, gamma, beta) = BatchNormInputs(n, c, s, offset);
        var dy = Uniform(x.Length, seed: 29);
        var (y, mean, invStd, unbiased) = RunTrainingForward<double>(n, c, s, x, gamma, beta);
        var (yf, meanf, invStdf, unbiasedf) = RunTrainingForward<float>(n, c, s, Cast<float>(x), Cast<float>(gamma), Cast<float>(beta));
        // A mean of 100 leaves float32 inputs ~1e-5 of resolution against a unit deviation: y keeps about 4 digits.
        double tolerance = offset == 0 ? 2e-6 : 1e-4;
        AssertClose(ToDouble(yf), y, tolerance, "y");
        AssertClose(ToDouble(meanf), mean, 1e-6, "mean");
        AssertClose(ToDouble(invStdf), invStd, tolerance, "invStd");
        AssertClose(ToDouble(unbiasedf), unbiased, tolerance, "unbiased variance");
        var dx = new double[x.Length]; var dGamma = new double[c]; var dBeta = new double[c];
        Normalization.BatchNormTrainingBackward<double>(n, c, s, x, dy, gamma, mean, invStd, dx, dGamma, dBeta, false, false, false);
        var dxf = new float[x.Length]; var dGammaf = new float[c]; var dBetaf = new float[c];
        Normalization.BatchNormTrainingBackward<float>(n, c, s, Cast<float>(x), Cast<float>(dy), Cast<float>(gamma), Cast<float>(meanf), Cast<float>(invStdf),
            dxf, dGammaf, dBetaf, false, false, false);
        AssertClose(ToDouble(dxf), dx, 10 * tolerance, "dx");
        AssertClose(ToDouble(dGammaf), dGamma, 10 * tolerance, "dγ");
        AssertClose(ToDouble(dBetaf), dBeta, 1e-5, "dβ");
    }

    // (rows, normalized length)
    public static readonly object[] LayerNormShapes = [new[] { 5, 7 }, new[] { 3, 64 }, new[] { 2, 33 }, new[] { 1, 1 }, new[] { 4, 2 }];

    [TestCaseSource(nameof(LayerNormShapes))]
    public void LayerNormMatchesNaiveFormulaAndCentralDifferences(int[] shape)
    {
        int rows = shape[0], d = shape[1];
        var x = Uniform(rows * d, seed: 31).Select(v => 2 * v + 0.3).ToArray();
        var gamma = Uniform(d, seed: 32).Select(v => 1 + v / 2).ToArray();
        var beta = Uniform(d, seed: 33);
        var dy = Uniform(rows * d, seed: 34);
        var (y, mean, invStd) = RunLayerNorm<double>(rows, d, x, gamma, beta);
        var naive = NaiveLayerNorm(rows, d, x, gamma, beta);
        AssertClose(y, naive.Y, 1e-12, "y");
        AssertClose(mean, naive.Mean, 1e-14, "mean");
        AssertClose(invStd, naive.InvStd, 1e-12, "invStd");

        var dx = new double[x.Length]; var dGamma = new double[d]; var dBeta = new double[d];
        Normalization.LayerNormBackward<double>(rows, d, x, dy, gamma, mean, invStd, dx, dGamma, dBeta, false, false, false);
        CheckAgainstDifferences(x, dy, v => NaiveLayerNorm(rows, d, v, gamma, beta).Y, dx, "dx", Step);
        CheckAgainstDifferences(gamma, dy, v => NaiveLayerNorm(rows, d, x, v, beta).Y, dGamma, "dγ", Step);
        CheckAgainstDifferences(beta, dy, v => NaiveLayerNorm(rows, d, x, gamma, v).Y, dBeta, "dβ", Step);

        // Accumulating adds to what is there; without affine parameters γ = 1 and β = 0.
        var dx2 = Ones(x.Length); var dGamma2 = Ones(d); var dBeta2 = Ones(d);
        Normalization.LayerNormBackward<double>(rows, d, x, dy, gamma, mean, invStd, dx2, dGamma2, dBeta2, true, true, true);
        AssertClose(dx2, dx.Select(v => v + 1).ToArray(), 1e-14, "dx accumulated");
        AssertClose(dGamma2, dGamma.Select(v => v + 1).ToArray(), 1e-14, "dγ accumulated");
        AssertClose(dBeta2, dBeta.Select(v => v + 1).ToArray(), 1e-14, "dβ accumulated");
        var (yPlain, meanPlain, invStdPlain) = RunLayerNorm<double>(rows, d, x, [], []);
        AssertClose(yPlain, NaiveLayerNorm(rows, d, x, Ones(d), new double[d]).Y, 1e-12, "y without affine");
        var dxPlain = new double[x.Length];
        Normalization.LayerNormBackward<double>(rows, d, x, dy, [], meanPlain, invStdPlain, dxPlain, [], [], false, false, false);
        CheckAgainstDifferences(x, dy, v => NaiveLayerNorm(rows, d, v, Ones(d), new double[d]).Y, dxPlain, "dx without affine", Step);

        // float32 against float64.
        var (yf, meanf, invStdf) = RunLayerNorm<float>(rows, d, Cast<float>(x), Cast<float>(gamma), Cast<float>(beta));
        AssertClose(ToDouble(yf), y, 2e-5, "float y");
        var dxf = new float[x.Length]; var dGammaf = new float[d]; var dBetaf = new float[d];
        Normalization.LayerNormBackward<float>(rows, d, Cast<float>(x), Cast<float>(dy), Cast<float>(gamma), Cast<float>(meanf), Cast<float>(invStdf),
            dxf, dGammaf, dBetaf, false, false, false);
        AssertClose(ToDouble(dxf), dx, 1e-4, "float dx");
        AssertClose(ToDouble(dGammaf), dGamma, 1e-5, "float dγ");
        AssertClose(ToDouble(dBetaf), dBeta, 1e-5, "float dβ");
    }

    private static (double[] X, double[] Gamma, double[] Beta) BatchNormInputs(int n, int c, int s, double offset)
    {
        // Each channel gets its own mean and scale, so a mix-up of channels shows.
        var x = Uniform(n * c * s, seed: 20);
        for (int i = 0; i < x.Length; i++) x[i] = x[i] * (1 + i / s % c) + offset + i / s % c;
        return (x, Uniform(c, seed: 18).Select(v => 1 + v / 2).ToArray(), Uniform(c, seed: 19));
    }

    private static (double[] Y, double[] Mean, double[] InvStd, double[] Unbiased) RunTrainingForward<T>(int n, int c, int s,
        T[] x, T[] gamma, T[] beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length]; var mean = new T[c]; var invStd = new T[c]; var unbiased = new T[c];
        Normalization.BatchNormTrainingForward<T>(n, c, s, x, gamma, beta, T.CreateChecked(Epsilon), y, mean, invStd, unbiased);
        return (ToDouble(y), ToDouble(mean), ToDouble(invStd), ToDouble(unbiased));
    }

    private static (double[] Y, double[] Mean, double[] InvStd) RunLayerNorm<T>(int rows, int d, T[] x, T[] gamma, T[] beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length]; var mean = new T[rows]; var invStd = new T[rows];
        Normalization.LayerNormForward<T>(rows, d, x, gamma, beta, T.CreateChecked(Epsilon), y, mean, invStd);
        return (ToDouble(y), ToDouble(mean), ToDouble(invStd));
    }

    // BatchNorm from its definition: per channel, mean and biased variance over every sample and position.
    private static (double[] Y, double[] Mean, double[] Variance) NaiveBatchNorm(int n, int c, int s, double[] x, double[] gamma, double[] beta)
    {
        var mean = new double[c]; var variance = new double[c]; var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(0, s).Select(p => x[(b * c + ch) * s + p])).ToArray();
            mean[ch] = values.Average();
            variance[ch] = values.Select(v => (v - mean[ch]) * (v - mean[ch])).Average();
        }
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / s % c;
            y[i] = (x[i] - mean[ch]) / Math.Sqrt(variance[ch] + Epsilon) * gamma[ch] + beta[ch];
        }
        return (y, mean, variance);
    }

    private static (double[] Y, double[] Mean, double[] InvStd) NaiveLayerNorm(int rows, int d, double[] x, double[] gamma, double[] beta)
    {
        var y = new double[x.Length]; var mean = new double[rows]; var invStd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * d).Take(d).ToArray();
            mean[r] = row.Average();
            invStd[r] = 1 / Math.Sqrt(row.Select(v => (v - mean[r]) * (v - mean[r])).Average() + Epsilon);
            for (int j = 0; j < d; j++) y[r * d + j] = (row[j] - mean[r]) * invStd[r] * gamma[j] + beta[j];
        }
        return (y, mean, invStd);
    }

    private static double[] Ones(int n) => Enumerable.Repeat(1.0, n).ToArray();
    private static double[] Subtract(double[] a, double[] b) => a.Zip(b, (p, q) => p - q).ToArray();
}
