using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>The average (a rank-0 tensor): the sum divided by the number of samples (NllLoss, CrossEntropy) or elements.</summary>
    Mean,
    /// <summary>The sum (a rank-0 tensor).</summary>
    Sum,
    /// <summary>No reduction: one loss per sample (NllLoss, CrossEntropy) or per element.</summary>
    None,
}

public static partial class Ops
{
    // ---- classification losses over [N, C] scores with integer class targets.
    // The targets array is kept by reference until backward (no copy per step): do not change it before Backward().

    /// <summary>
    /// Negative log-likelihood: −logProbs[i, targets[i]] per sample, for log-probabilities [N, C]
    /// (e.g. from <see cref="LogSoftmax{T}"/>) and N class indices in [0, C).
    /// </summary>
    public static Tensor<T> NllLoss<T>(this Tensor<T> logProbs, int[] targets, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckClassification("NllLoss", logProbs, targets, reduction);
        int n = logProbs.Shape[0], classes = logProbs.Shape[1];
        var lp = logProbs.AsReadOnlySpan();
        var y = Tensor<T>.Uninitialized(reduction == Reduction.None ? new Shape(n) : Shape.Scalar);
        var dst = y.AsSpan();
        if (reduction == Reduction.None)
            for (int i = 0; i < n; i++) dst[i] = -lp[i * classes + targets[i]];
        else
        {
            T sum = T.Zero;
            for (int i = 0; i < n; i++) sum -= lp[i * classes + targets[i]];
            dst[0] = reduction == Reduction.Mean ? sum / T.CreateChecked(n) : sum;
        }
        if (Tape<T>.ShouldRecord(logProbs))
        {
            ref var e = ref Tape<T>.Record("NllLoss", y, NllLossBackward, logProbs);
            e.I0 = (int)reduction;
            e.Extra = targets;
        }
        else Tape<T>.CheckForward("NllLoss", y);
        return y;
    }

    private static void NllLossBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        var targets = (int[])e.Extra!;
        int n = e.A!.Shape[0], classes = e.A.Shape[1];
        var reduction = (Reduction)e.I0;
        for (int i = 0; i < n; i++)
            gx[i * classes + targets[i]] -= SampleScale(gy, reduction, i, n);
    }

    /// <summary>
    /// Cross-entropy of raw scores [N, C] against N class indices: LogSoftmax and NllLoss fused into one stable op.
    /// With <paramref name="labelSmoothing"/> ε the target distribution is (1 − ε)·onehot + ε/C, like PyTorch.
    /// </summary>
    public static Tensor<T> CrossEntropy<T>(this Tensor<T> logits, int[] targets, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckClassification("CrossEntropy", logits, targets, reduction);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) ThrowLabelSmoothing(labelSmoothing);
        var dims = logits.Shape.Dimensions;
        int n = dims[0], classes = dims[1];
        bool record = Tape<T>.ShouldRecord(logits);
        // The softmax rows are what backward needs (a pooled buffer the tape owns); without a tape the buffer goes back at
        // the end (no using block: an exception in between only costs the pool one array).
        var probs = TensorPool<T>.Rent(n * classes, out int probsOffset);
        var y = Tensor<T>.Uninitialized(reduction == Reduction.None ? new Shape(n) : Shape.Scalar);
        var x = logits.AsReadOnlySpan();
        T eps = T.CreateChecked(labelSmoothing), c = T.CreateChecked(classes), total = T.Zero;
        for (int i = 0; i < n; i++)
        {
            var p = probs.AsSpan(probsOffset + i * classes, classes);
            var xi = x.Slice(i * classes, classes);
            // p = x − max (shifted scores), then exp and normalize in place; log p = shifted − log Σ exp(shifted).
            TensorPrimitives.Subtract(xi, TensorPrimitives.Max(xi), p);
            T shiftedTarget = p[targets[i]];
            T shiftedSum = eps == T.Zero ? T.Zero : TensorPrimitives.Sum(p);
            TensorPrimitives.Exp(p, p);
            T sumExp = TensorPrimitives.Sum(p);
            TensorPrimitives.Divide(p, sumExp, p);
            T logSumExp = T.Log(sumExp);
            // −Σ_c q_c log p_c with q = (1 − ε)·onehot + ε/C
            T loss = -(T.One - eps) * (shiftedTarget - logSumExp);
            if (eps != T.Zero) loss -= eps / c * (shiftedSum - c * logSumExp);
            if (reduction == Reduction.None) y.AsSpan()[i] = loss;
            else total += loss;
        }
        if (reduction != Reduction.None) y.AsSpan()[0] = reduction == Reduction.Mean ? total / T.CreateChecked(n) : total;
        if (record)
        {
            ref var e = ref Tape<T>.Record("CrossEntropy", y, CrossEntropyBackward, logits);
            e.SavedBuffer = probs; e.SavedOffset = probsOffset;
            e.I0 = (int)reduction;
            e.X0 = eps;
            e.Extra = targets;
        }
        else
        {
            TensorPool<T>.Return(probs);
            Tape<T>.CheckForward("CrossEntropy", y);
        }
        return y;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLabelSmoothing(double labelSmoothing) =>
        throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: labelSmoothing must be in [0, 1], got {labelSmoothing}.");

    // gx[i] (+)= scale_i · (softmax_i − q_i), q_i = (1 − ε)·onehot(t_i) + ε/C.
    private static void CrossEntropyBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var targets = (int[])e.Extra!;
        int n = e.A!.Shape[0], classes = e.A.Shape[1];
        var reduction = (Reduction)e.I0;
        T eps = e.X0, uniform = e.X0 / T.CreateChecked(classes);
        Span<T> gx;
        if (reduction != Reduction.None)
        {
            // One scale for every sample: the whole block in one vector pass (rows of 10 classes are too short for one each).
            T s = SampleScale(gy, reduction, 0, n);
            if (e.SavedBuffer is { } saved && Tape<T>.TryAdoptGrad(e.A, saved, e.SavedOffset))
            {
                // The logits' first gradient: the saved softmax rows become it in place, and the buffer is handed over.
                e.SavedBuffer = null;
                gx = new Span<T>(saved, e.SavedOffset, n * classes);
                if (s != T.One) InPlace.Scale(gx, s);
            }
            else
            {
                if (!Tape<T>.TryGrad(e.A, out gx, out bool fresh)) return;
                var probs = new ReadOnlySpan<T>(e.SavedBuffer, e.SavedOffset, n * classes);
                if (fresh) TensorPrimitives.Multiply(probs, s, gx);
                else InPlace.AddScaled(gx, probs, s);
            }
            if (eps != T.Zero) InPlace.AddScalar(gx, -(s * uniform));
            T hit = s * (T.One - eps);
            for (int i = 0; i < n; i++) gx[i * classes + targets[i]] -= hit;
            return;
        }
        if (!Tape<T>.TryGrad(e.A, out gx, out bool rowsFresh)) return;
        var rows = new ReadOnlySpan<T>(e.SavedBuffer, e.SavedOffset, n * classes);
        for (int i = 0; i < n; i++)
        {
            T s = gy[i];
            var g = gx.Slice(i * classes, classes);
            if (rowsFresh) TensorPrimitives.Multiply(rows.Slice(i * classes, classes), s, g);
            else InPlace.AddScaled(g, rows.Slice(i * classes, classes), s);
            if (eps != T.Zero) InPlace.AddScalar(g, -(s * uniform));
            g[targets[i]] -= s * (T.One - eps);
        }
    }

    /// <summary>A one-hot matrix [N, classes] (no gradient): row i is 1 at column labels[i] and 0 elsewhere.</summary>
    public static Tensor<T> OneHot<T>(int[] labels, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"OneHot: classes must be positive, got {classes}.");
        var shape = Shape.Of("OneHot", [labels.Length, classes]);   // N·C checked in 64 bits before anything is allocated
        CheckTargets("OneHot", labels, classes);
        var t = new Tensor<T>(new T[shape.Length], shape);
        var span = t.AsSpan();
        for (int i = 0; i < labels.Length; i++) span[i * classes + labels[i]] = T.One;
        return t;
    }

    // ---- shared checks and scaling of every loss

    private static void CheckClassification<T>(string op, Tensor<T> scores, int[] targets, Reduction reduction,
        [CallerArgumentExpression(nameof(scores))] string scoresName = "") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(scores, scoresName);
        ArgumentNullException.ThrowIfNull(targets);
        CheckReduction(op, reduction, scores);
        var dims = scores.Shape.Dimensions;
        if (dims.Length != 2 || targets.Length != dims[0] || (dims[1] == 0 && targets.Length > 0))
            ThrowBadClassification(op, scores.Shape, targets.Length);
        CheckTargets(op, targets, dims[1]);
    }

    // The messages are built out of line: inlined, they enlarged the frame of every call.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadClassification(string op, Shape scores, int targets)
    {
        if (scores.Rank != 2)
            throw new ArgumentException($"{op}: the input must be [N, C] (samples × classes), got shape {scores}.", nameof(scores));
        if (targets != scores[0])
            throw new ArgumentException($"{op}: {targets} targets for an input of shape {scores} ({scores[0]} samples); they must match.", nameof(targets));
        throw new ArgumentException($"{op}: the input of shape {scores} has no classes.", nameof(scores));
    }

    private static void CheckTargets(string op, int[] targets, int classes)
    {
        for (int i = 0; i < targets.Length; i++)
            if ((uint)targets[i] >= (uint)classes) ThrowBadTarget(op, i, targets[i], classes);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadTarget(string op, int index, int target, int classes) =>
        throw new ArgumentOutOfRangeException("targets", $"{op}: target at index {index} is {target}, outside the class range [0, {classes}) (C = {classes}).");

    // The input is passed as the tensor, not its shape: the shape (a 40-byte struct) is only copied on the throwing path.
    private static void CheckReduction<T>(string op, Reduction reduction, Tensor<T> input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum or Reduction.None)) ThrowUnknownReduction(op, reduction, input.Shape);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnknownReduction(string op, Reduction reduction, Shape input) =>
        throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: unknown reduction {(int)reduction} for an input of shape {input}; use Mean, Sum or None.");

    // d(reduced loss)/d(loss of item i): gy[i] without reduction, gy[0] for a sum, gy[0]/count for a mean.
    private static T SampleScale<T>(ReadOnlySpan<T> gy, Reduction reduction, int i, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        reduction switch
        {
            Reduction.None => gy[i],
            Reduction.Sum => gy[0],
            _ => gy[0] / T.CreateChecked(count),
        };
}
