using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- BatchNorm and LayerNorm: y = (x − mean)·invStd·γ + β, invStd = 1/√(var + ε) with the biased variance. The
    // statistics an op's backward needs (per channel or per row) are saved in one small tensor [mean…, invStd…] (or,
    // in evaluation, [running mean…, running variance…] as they were at the forward pass). The rules recompute the
    // normalized input from x with ops, so their results depend on x differentiably and can be differentiated again.

    /// <summary>
    /// Batch normalization of x [N, C, …] over every axis but the channel axis 1 (torch.nn.functional.batch_norm).
    /// <paramref name="training"/>: normalizes with the batch's mean and biased variance, and updates the running
    /// statistics in place (if given): running = (1 − momentum)·running + momentum·batch, with the unbiased batch
    /// variance for running_var. Otherwise normalizes with the running statistics. <paramref name="weight"/> γ and
    /// <paramref name="bias"/> β [C] are optional (1 and 0).
    /// </summary>
    public static Tensor<T> BatchNorm<T>(this Tensor<T> x, Tensor<T>? runningMean, Tensor<T>? runningVar, Tensor<T>? weight = null,
        Tensor<T>? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        if (s.Rank < 2 || s[1] == 0) ThrowBatchNorm(s, "the input must be [N, C, …] with C > 0", null);
        int batch = s[0], channels = s[1], spatial = s.Product(2, s.Rank);
        CheckChannelVector(s, runningMean, "running_mean");
        CheckChannelVector(s, runningVar, "running_var");
        CheckChannelVector(s, weight, "weight");
        CheckChannelVector(s, bias, "bias");
        if (!(eps >= 0) || !double.IsFinite(eps)) ThrowBatchNorm(s, $"eps must be finite and ≥ 0, got {eps}", null);
        if (!(momentum >= 0 && momentum <= 1)) ThrowBatchNorm(s, $"momentum must be in [0, 1], got {momentum}", null);
        if (!training && (runningMean is null || runningVar is null))
            ThrowBatchNorm(s, "evaluation (training: false) normalizes with the running statistics, so running_mean and running_var are needed", null);
        if (training && (long)batch * spatial <= 1)
            ThrowBatchNorm(s, $"training needs more than one value per channel to form a variance, got {(long)batch * spatial}", null);
        if (runningMean is { RequiresGrad: true } || runningVar is { RequiresGrad: true })
            ThrowBatchNorm(s, "the running statistics are updated in place and must not require grad", null);

        T epsilon = T.CreateChecked(eps);
        var y = Tensor<T>.Uninitialized(s);
        ReadOnlySpan<T> gamma = weight is null ? default : weight.AsReadOnlySpan(), beta = bias is null ? default : bias.AsReadOnlySpan();
        bool record = Autodiff<T>.ShouldRecord(x, weight, bias);
        // [mean, invStd] of the batch (training) or [running mean, running variance] (evaluation): the node keeps it.
        var statistics = Tensor<T>.Uninitialized(new Shape(2 * channels));
        var stats = statistics.AsSpan();
        if (training)
        {
            using var unbiased = Scratch<T>.Rent(channels);
            Normalization.BatchNormTrainingForward(batch, channels, spatial, x.AsReadOnlySpan(), gamma, beta, epsilon, y.AsSpan(),
                stats[..channels], stats[channels..], unbiased.Span);
            T m = T.CreateChecked(momentum), keep = T.One - m;
            if (runningMean is not null)
            {
                var rm = runningMean.AsSpan();
                for (int c = 0; c < channels; c++) rm[c] = keep * rm[c] + m * stats[c];
            }
            if (runningVar is not null)
            {
                var rv = runningVar.AsSpan();
                for (int c = 0; c < channels; c++) rv[c] = keep * rv[c] + m * unbiased.Span[c];
            }
        }
        else
        {
            runningMean!.AsReadOnlySpan().CopyTo(stats[..channels]);
            runningVar!.AsReadOnlySpan().CopyTo(stats[channels..]);
            Normalization.BatchNormEvaluationForward(batch, channels, spatial, x.AsReadOnlySpan(), gamma, beta, stats[..channels], stats[channels..],
                epsilon, y.AsSpan());
        }
        if (record)
        {
            var node = Autodiff<T>.Record<BatchNormNode<T>>("BatchNorm", y, x, weight, bias);
            node.Training = training;
            node.Epsilon = epsilon;
            node.Statistics = statistics;
            node.HasWeight = weight is not null;
            node.HasBias = bias is not null;
        }
        else Autodiff<T>.CheckForward("BatchNorm", y);
        return y;
    }

    private static void CheckChannelVector<T>(Shape x, Tensor<T>? v, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (v is not null && (v.Rank != 1 || v.Length != x[1])) ThrowBatchNorm(x, $"{name} must be [{x[1]}], one per channel", v.Shape);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBatchNorm(Shape x, string problem, Shape? got) =>
        throw new ArgumentException($"BatchNorm: {problem} (input {x}{(got is { } g ? $", got {g}" : "")}).");

    // batch_norm, training: with x̂ = (x − mean)·invStd over the batch and gγ = grad·γ,
    //   x: invStd·(gγ − mean(gγ) − x̂·mean(gγ·x̂)); γ: Σ grad·x̂; β: Σ grad   (means and sums over all axes but 1)
    // evaluation (fixed running statistics, a per-channel affine map): x: grad·γ·invStd; γ: Σ grad·x̂; β: Σ grad
    private sealed class BatchNormNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool Training, HasWeight, HasBias;
        public T Epsilon;
        public Tensor<T> Statistics = null!;

        private Tensor<T>? Weight => HasWeight ? Input(1) : null;
        private Tensor<T>? Bias => HasBias ? Input(HasWeight ? 2 : 1) : null;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0);
            var s = x.Shape;
            int channels = s[1];
            var axes = NonChannelAxes(s.Rank);
            Span<int> perChannel = stackalloc int[s.Rank];
            perChannel.Fill(1);
            perChannel[1] = channels;
            var gamma = Weight?.Reshape(perChannel);
            var stats = Statistics.AsReadOnlySpan();

            Tensor<T> xHat, invStd;
            if (Training)
            {
                var centered = x.Sub(x.Mean(axes, keepDim: true));
                invStd = Ops.RDiv(T.One, centered.Square().Mean(axes, keepDim: true).Add(Epsilon).Sqrt());
                xHat = centered.Mul(invStd);
            }
            else
            {
                var mean = Tensor<T>.Uninitialized(new Shape(perChannel));
                invStd = Tensor<T>.Uninitialized(new Shape(perChannel));
                for (int c = 0; c < channels; c++)
                {
                    mean.AsSpan()[c] = stats[c];
                    invStd.AsSpan()[c] = T.One / T.Sqrt(stats[channels + c] + Epsilon);
                }
                xHat = x.Sub(mean).Mul(invStd);
            }
            if (pass.Wants(x))
            {
                var gg = gamma is null ? g : g.Mul(gamma);
                var dx = Training
                    ? gg.Sub(gg.Mean(axes, keepDim: true)).Sub(xHat.Mul(gg.Mul(xHat).Mean(axes, keepDim: true))).Mul(invStd)
                    : gg.Mul(invStd);
                pass.Add(x, dx);
            }
            if (pass.Wants(Weight)) pass.Add(Weight, g.Mul(xHat).Sum(axes));
            if (pass.Wants(Bias)) pass.Add(Bias, g.Sum(axes));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var x = Input(0);
            var s = x.Shape;
            int batch = s[0], channels = s[1], spatial = s.Product(2, s.Rank);
            pass.TryGrad(x, out var gx, out bool xFresh);
            pass.TryGrad(Weight, out var gGamma, out bool gammaFresh);
            pass.TryGrad(Bias, out var gBeta, out bool betaFresh);
            ReadOnlySpan<T> gamma = Weight is { } w ? w.AsReadOnlySpan() : default;
            var stats = Statistics.AsReadOnlySpan();
            if (Training)
                Normalization.BatchNormTrainingBackward(batch, channels, spatial, x.AsReadOnlySpan(), gy, gamma, stats[..channels], stats[channels..],
                    gx, gGamma, gBeta, !xFresh, !gammaFresh, !betaFresh);
            else
                Normalization.BatchNormEvaluationBackward(batch, channels, spatial, x.AsReadOnlySpan(), gy, gamma, stats[..channels], stats[channels..],
                    Epsilon, gx, gGamma, gBeta, !xFresh, !gammaFresh, !betaFresh);
        }

        // Every axis but the channel axis 1: the axes a channel's statistics run over.
        private static int[] NonChannelAxes(int rank)
        {
            var axes = new int[rank - 1];
            axes[0] = 0;
            for (int i = 2; i < rank; i++) axes[i - 1] = i;
            return axes;
        }
    }

    /// <summary>
    /// Layer normalization over the trailing axes <paramref name="normalizedShape"/> of x (torch.nn.functional.layer_norm):
    /// each slice over those axes is normalized by its own mean and biased variance, then scaled by
    /// <paramref name="weight"/> γ and shifted by <paramref name="bias"/> β (each of normalizedShape, optional).
    /// </summary>
    public static Tensor<T> LayerNorm<T>(this Tensor<T> x, ReadOnlySpan<int> normalizedShape, Tensor<T>? weight = null, Tensor<T>? bias = null,
        double eps = 1e-5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        int k = normalizedShape.Length;
        bool matches = k > 0 && k <= s.Rank && s.Dimensions[(s.Rank - k)..].SequenceEqual(normalizedShape) && s.Product(s.Rank - k, s.Rank) > 0;
        if (!matches) ThrowLayerNorm(s, normalizedShape, "the input must end in the normalized shape (non-empty, no zero sizes)", null);
        if (weight is not null && !weight.Shape.Dimensions.SequenceEqual(normalizedShape)) ThrowLayerNorm(s, normalizedShape, "weight must have the normalized shape", weight.Shape);
        if (bias is not null && !bias.Shape.Dimensions.SequenceEqual(normalizedShape)) ThrowLayerNorm(s, normalizedShape, "bias must have the normalized shape", bias.Shape);
        if (!(eps >= 0) || !double.IsFinite(eps)) ThrowLayerNorm(s, normalizedShape, $"eps must be finite and ≥ 0, got {eps}", null);

        int length = s.Product(s.Rank - k, s.Rank), rows = s.Product(0, s.Rank - k);
        T epsilon = T.CreateChecked(eps);
        var y = Tensor<T>.Uninitialized(s);
        var statistics = Tensor<T>.Uninitialized(new Shape(2 * rows));
        var stats = statistics.AsSpan();
        Normalization.LayerNormForward(rows, length, x.AsReadOnlySpan(), weight is null ? default : weight.AsReadOnlySpan(),
            bias is null ? default : bias.AsReadOnlySpan(), epsilon, y.AsSpan(), stats[..rows], stats[rows..]);
        if (Autodiff<T>.ShouldRecord(x, weight, bias))
        {
            var node = Autodiff<T>.Record<LayerNormNode<T>>("LayerNorm", y, x, weight, bias);
            node.NormalizedAxes = k;
            node.Epsilon = epsilon;
            node.Statistics = statistics;
            node.HasWeight = weight is not null;
            node.HasBias = bias is not null;
        }
        else Autodiff<T>.CheckForward("LayerNorm", y);
        return y;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLayerNorm(Shape x, ReadOnlySpan<int> normalizedShape, string problem, Shape? got) =>
        throw new ArgumentException($"LayerNorm: {problem} (input {x}, normalized shape {FormatIntList(normalizedShape)}{(got is { } g ? $", got {g}" : "")}).");

    // layer_norm: with x̂ = (x − mean)·invStd over each row of the normalized axes and gγ = grad·γ,
    //   x: invStd·(gγ − mean(gγ) − x̂·mean(gγ·x̂)); γ: Σ_rows grad·x̂; β: Σ_rows grad
    private sealed class LayerNormNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int NormalizedAxes;
        public bool HasWeight, HasBias;
        public T Epsilon;
        public Tensor<T> Statistics = null!;

        private Tensor<T>? Weight => HasWeight ? Input(1) : null;
        private Tensor<T>? Bias => HasBias ? Input(HasWeight ? 2 : 1) : null;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            int rank = x.Rank;
            var axes = new int[NormalizedAxes];
            for (int i = 0; i < axes.Length; i++) axes[i] = rank - NormalizedAxes + i;
            var centered = x.Sub(x.Mean(axes, keepDim: true));
            var invStd = Ops.RDiv(T.One, centered.Square().Mean(axes, keepDim: true).Add(Epsilon).Sqrt());
            var xHat = centered.Mul(invStd);
            if (pass.Wants(x))
            {
                var gg = Weight is { } w ? g.Mul(w) : g;
                pass.Add(x, gg.Sub(gg.Mean(axes, keepDim: true)).Sub(xHat.Mul(gg.Mul(xHat).Mean(axes, keepDim: true))).Mul(invStd));
            }
            // Gradients of the broadcast shape: the pass sums them over the leading axes to γ's and β's shape.
            if (pass.Wants(Weight)) pass.Add(Weight, g.Mul(xHat));
            if (pass.Wants(Bias)) pass.Add(Bias, g);
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var x = Input(0);
            var s = x.Shape;
            int length = s.Product(s.Rank - NormalizedAxes, s.Rank), rows = s.Product(0, s.Rank - NormalizedAxes);
            pass.TryGrad(x, out var gx, out bool xFresh);
            pass.TryGrad(Weight, out var gGamma, out bool gammaFresh);
            pass.TryGrad(Bias, out var gBeta, out bool betaFresh);
            var stats = Statistics.AsReadOnlySpan();
            Normalization.LayerNormBackward(rows, length, x.AsReadOnlySpan(), gy, Weight is { } w ? w.AsReadOnlySpan() : default,
                stats[..rows], stats[rows..], gx, gGamma, gBeta, !xFresh, !gammaFresh, !betaFresh);
        }
    }
}
