using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>The average (a rank-0 tensor): the sum divided by the number of samples (NllLoss, CrossEntropyLoss) or elements.</summary>
    Mean,
    /// <summary>The sum (a rank-0 tensor).</summary>
    Sum,
    /// <summary>No reduction: one loss per sample (NllLoss, CrossEntropyLoss) or per element.</summary>
    None,
}

public static partial class Ops
{
    // ---- classification losses over [N, C] scores with integer class targets. The targets are copied when the op
    // is recorded (into the node's own array), so changing the caller's array before Backward cannot change the gradient.

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
        if (Autodiff<T>.ShouldRecord(logProbs))
        {
            var node = Autodiff<T>.Record<NllLossNode<T>>("NllLoss", y, logProbs);
            node.Reduction = reduction;
            node.Targets.CopyFrom(targets);
        }
        else Autodiff<T>.CheckForward("NllLoss", y);
        return y;
    }

    // nll_loss: −scale_i at each sample's target class, 0 elsewhere
    private sealed class NllLossNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Reduction Reduction;
        public ClassTargets Targets;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            var picks = Tensor.Zeros<T>(x.Shape.Dimensions);
            Targets.AddOneHot(picks.AsSpan(), x.Shape[1], -T.One);
            pass.Add(x, picks.Mul(SampleScales(g, Reduction, x.Shape[0])));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var targets = Targets.Span;
            int n = Input(0).Shape[0], classes = Input(0).Shape[1];
            for (int i = 0; i < n; i++)
                gx[i * classes + targets[i]] -= SampleScale(gy, Reduction, i, n);
        }

    }

    /// <summary>
    /// Cross-entropy of raw scores [N, C] against N class indices: LogSoftmax and NllLoss fused into one stable op.
    /// With <paramref name="labelSmoothing"/> ε the target distribution is (1 − ε)·onehot + ε/C, like PyTorch.
    /// </summary>
    public static Tensor<T> CrossEntropyLoss<T>(this Tensor<T> logits, int[] targets, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckClassification("CrossEntropyLoss", logits, targets, reduction);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) ThrowLabelSmoothing(labelSmoothing);
        var dims = logits.Shape.Dimensions;
        int n = dims[0], classes = dims[1];
        bool record = Autodiff<T>.ShouldRecord(logits);
        // The softmax rows are what the fused backward needs. Inside a scope they live in a pooled buffer that the node
        // gives back when the graph is freed or the scope ends; outside one, in a plain array the GC reclaims with the
        // graph. Without recording the buffer goes back at the end (an exception in between only costs the pool one array).
        var scope = TensorScope.Current;
        bool pooled = !record || scope is not null;
        int probsOffset = 0;
        var pool = pooled ? scope?.PoolOf<T>() ?? TensorPool<T>.ThreadPool : null;
        var probs = pool is not null ? pool.Rent(n * classes, out probsOffset) : GC.AllocateUninitializedArray<T>(n * classes);
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
            var node = Autodiff<T>.Record<CrossEntropyNode<T>>("CrossEntropyLoss", y, logits);
            node.Reduction = reduction;
            node.LabelSmoothing = eps;
            node.Targets.CopyFrom(targets);
            node.Probabilities = probs;
            node.ProbabilitiesOffset = probsOffset;
            node.ProbabilitiesPooled = pooled;
            if (pooled) scope!.AddResource(node);
        }
        else
        {
            pool!.Return(probs);
            Autodiff<T>.CheckForward("CrossEntropyLoss", y);
        }
        return y;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLabelSmoothing(double labelSmoothing) =>
        throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropyLoss: labelSmoothing must be in [0, 1], got {labelSmoothing}.");

    // cross_entropy: scale_i · (softmax(x_i) − q_i), q_i = (1 − ε)·onehot(t_i) + ε/C
    private sealed class CrossEntropyNode<T> : Node<T>, IScopeResource where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Reduction Reduction;
        public T LabelSmoothing;
        public ClassTargets Targets;
        /// <summary>The softmax rows of the forward pass (null once handed over as the logits' gradient, or released).</summary>
        public T[]? Probabilities;
        public int ProbabilitiesOffset;
        public bool ProbabilitiesPooled;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            int classes = x.Shape[1];
            T eps = LabelSmoothing;
            var q = Tensor.Full(x.Shape, eps / T.CreateChecked(classes));
            Targets.AddOneHot(q.AsSpan(), classes, T.One - eps);
            pass.Add(x, x.Softmax(-1).Sub(q).Mul(SampleScales(g, Reduction, x.Shape[0])));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var logits = Input(0);
            var saved = Probabilities ?? throw new GraphFreedException(
                $"CrossEntropyLoss: the TensorScope in which this {logits.Shape} loss was recorded has ended, and its saved state with it; call Backward inside the scope.");
            var targets = Targets.Span;
            int n = logits.Shape[0], classes = logits.Shape[1];
            T eps = LabelSmoothing, uniform = eps / T.CreateChecked(classes);
            Span<T> gx;
            if (Reduction != Reduction.None)
            {
                // One scale for every sample: the whole block in one vector pass (rows of 10 classes are too short for one each).
                T s = SampleScale(gy, Reduction, 0, n);
                if (pass.TryAdoptGrad(logits, saved, ProbabilitiesOffset, ProbabilitiesPooled))
                {
                    // The logits' first gradient: the saved softmax rows become it in place, and the buffer is handed over.
                    Probabilities = null;
                    gx = new Span<T>(saved, ProbabilitiesOffset, n * classes);
                    if (s != T.One) InPlace.Scale(gx, s);
                }
                else
                {
                    if (!pass.TryGrad(logits, out gx, out bool fresh)) return;
                    var probs = new ReadOnlySpan<T>(saved, ProbabilitiesOffset, n * classes);
                    if (fresh) TensorPrimitives.Multiply(probs, s, gx);
                    else InPlace.AddScaled(gx, probs, s);
                }
                if (eps != T.Zero) InPlace.AddScalar(gx, -(s * uniform));
                T hit = s * (T.One - eps);
                for (int i = 0; i < n; i++) gx[i * classes + targets[i]] -= hit;
                return;
            }
            if (!pass.TryGrad(logits, out gx, out bool rowsFresh)) return;
            var rows = new ReadOnlySpan<T>(saved, ProbabilitiesOffset, n * classes);
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

        internal override void ReleaseSaved() => ReleaseProbabilities();

        void IScopeResource.EndOfScope() => ReleaseProbabilities();

        private void ReleaseProbabilities()
        {
            if (Probabilities is { } p && ProbabilitiesPooled) TensorPool<T>.Return(p);
            Probabilities = null;
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

    // The same as a tensor to multiply [N, ...] per-sample terms with: [N, 1] without reduction, a scalar otherwise.
    private static Tensor<T> SampleScales<T>(Tensor<T> g, Reduction reduction, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        reduction switch
        {
            Reduction.None => g.Reshape(count, 1),
            Reduction.Sum => g,
            _ => g.Div(T.CreateChecked(count)),
        };

    // d(reduced loss)/d(loss of item i): gy[i] without reduction, gy[0] for a sum, gy[0]/count for a mean.
    private static T SampleScale<T>(ReadOnlySpan<T> gy, Reduction reduction, int i, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        reduction switch
        {
            Reduction.None => gy[i],
            Reduction.Sum => gy[0],
            _ => gy[0] / T.CreateChecked(count),
        };
}
