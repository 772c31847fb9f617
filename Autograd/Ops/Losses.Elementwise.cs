using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- elementwise losses between a prediction and a target tensor of exactly the same shape.
    // Gradients flow to both arguments when they require grad. Per-element values are written straight into the
    // result (Reduction.None) or into a pooled scratch buffer that is then summed.

    /// <summary>Mean squared error: (pred − target)² per element, reduced by <paramref name="reduction"/> (Mean averages over all elements).</summary>
    public static Tensor<T> MseLoss<T>(this Tensor<T> pred, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair("MseLoss", pred, target, reduction);
        var y = LossOutput<T>(pred.Shape, reduction);
        using var buffer = Scratch<T>.Rent(pred.Length);
        var diff = buffer.Span;
        TensorPrimitives.Subtract(pred.AsReadOnlySpan(), target.AsReadOnlySpan(), diff);
        if (reduction != Reduction.None)
        {
            // Reduced: Σd² in one pass (no per-element loss buffer).
            T sum = TensorPrimitives.SumOfSquares<T>(diff);
            return FinishReducedLoss<T, MseLossNode<T>>("MseLoss", y, sum, diff.Length, reduction, pred, target);
        }
        // Difference and square in separate buffers: TensorPrimitives runs several times slower in place.
        TensorPrimitives.Multiply(diff, diff, y.AsSpan());
        return FinishLoss<T, MseLossNode<T>>("MseLoss", y, y.AsReadOnlySpan(), reduction, pred, target);
    }

    // mse_loss: scale · 2(pred − target) to pred, the negative to target
    private sealed class MseLossNode<T> : ElementwiseLossNode<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> pred = Input(0), target = Input(1);
            var d = pred.Sub(target).Mul(ElementScales(g, Reduction, pred.Length)).Mul(T.CreateTruncating(2));
            pass.Add(pred, d);
            if (pass.Wants(target)) pass.Add(target, d.Neg());
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            using var d = Scratch<T>.Rent(Input(0).Length);
            TensorPrimitives.Subtract(Input(0).AsReadOnlySpan(), Input(1).AsReadOnlySpan(), d.Span);
            AddLossGradients(pass, Input(0), Input(1), Reduction, gy, d.Span, factor: T.CreateChecked(2));
        }
    }

    /// <summary>
    /// Binary cross-entropy −(t·log p + (1 − t)·log(1 − p)) for probabilities p in [0, 1]. Each log is clamped at −100 like
    /// PyTorch, so p = 0 or 1 gives a finite loss (and a finite gradient).
    /// </summary>
    public static Tensor<T> BceLoss<T>(this Tensor<T> p, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair("BceLoss", p, target, reduction);
        var ps = p.AsReadOnlySpan();
        for (int i = 0; i < ps.Length; i++)
            if (!(ps[i] >= T.Zero && ps[i] <= T.One))
                throw new ArgumentOutOfRangeException(nameof(p), $"BceLoss: probabilities must be in [0, 1], but element {i} of the {p.Shape} input is {ps[i]} (apply Sigmoid, or use BceWithLogitsLoss on raw scores).");
        var y = LossOutput<T>(p.Shape, reduction);
        using var buffer = Scratch<T>.Rent(p.Length * (reduction == Reduction.None ? 1 : 2));
        var losses = reduction == Reduction.None ? y.AsSpan() : buffer.Span[..p.Length];
        var logP = buffer.Span.Slice(buffer.Span.Length - p.Length, p.Length);
        ClampedLogs(ps, logP, losses);                                                    // losses = log(1 − p)
        InPlace.Subtract(logP, losses);                                    // log p − log(1 − p)
        InPlace.AddProduct(losses, target.AsReadOnlySpan(), logP); // t·log p + (1 − t)·log(1 − p)
        TensorPrimitives.Negate(losses, losses);
        return FinishLoss<T, BceLossNode<T>>("BceLoss", y, losses, reduction, p, target);
    }

    private const double BceLogFloor = -100;

    // logP = max(log p, −100), log1mP = max(log(1 − p), −100)
    private static void ClampedLogs<T>(ReadOnlySpan<T> p, Span<T> logP, Span<T> log1mP) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T floor = T.CreateChecked(BceLogFloor);
        TensorPrimitives.Log(p, logP);
        TensorPrimitives.Max(logP, floor, logP);
        TensorPrimitives.Subtract(T.One, p, log1mP);
        TensorPrimitives.Log(log1mP, log1mP);
        TensorPrimitives.Max(log1mP, floor, log1mP);
    }

    // binary_cross_entropy: scale · (p − t) / max(p(1 − p), 1e-12) to p (PyTorch's form, finite at p = 0 or 1),
    // scale · (log(1 − p) − log p) to t (the clamped logs of the forward)
    private sealed class BceLossNode<T> : ElementwiseLossNode<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> p = Input(0), t = Input(1);
            var scale = ElementScales(g, Reduction, p.Length);
            var oneMinusP = Ops.RSub(T.One, p);
            if (pass.Wants(p)) pass.Add(p, p.Sub(t).Div(p.Mul(oneMinusP).Clamp(T.CreateChecked(1e-12), T.PositiveInfinity)).Mul(scale));
            T floor = T.CreateChecked(BceLogFloor);
            if (pass.Wants(t))
                pass.Add(t, oneMinusP.Log().Clamp(floor, T.PositiveInfinity).Sub(p.Log().Clamp(floor, T.PositiveInfinity)).Mul(scale));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            Tensor<T> pTensor = Input(0), target = Input(1);
            var p = pTensor.AsReadOnlySpan();
            int n = p.Length;
            using var scratch = Scratch<T>.Rent(2 * n);
            var dp = scratch.Span[..n];
            var dt = scratch.Span.Slice(n, n);
            if (pass.Wants(pTensor))
            {
                TensorPrimitives.Subtract(T.One, p, dt);
                TensorPrimitives.Multiply(dt, p, dt);
                TensorPrimitives.Max(dt, T.CreateChecked(1e-12), dt);
                TensorPrimitives.Subtract(p, target.AsReadOnlySpan(), dp);
                TensorPrimitives.Divide(dp, dt, dp);
                AddLossGradient(pass, pTensor, Reduction, gy, dp);
            }
            if (pass.Wants(target))
            {
                ClampedLogs(p, dp, dt);
                InPlace.Subtract(dt, dp);
                AddLossGradient(pass, target, Reduction, gy, dt);
            }
        }
    }

    /// <summary>
    /// Binary cross-entropy on raw scores x (sigmoid folded in), in the stable form max(x, 0) − x·t + log(1 + exp(−|x|)).
    /// Gradient: σ(x) − t to the scores, −x to the target.
    /// </summary>
    public static Tensor<T> BceWithLogitsLoss<T>(this Tensor<T> logits, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPair("BceWithLogitsLoss", logits, target, reduction);
        var x = logits.AsReadOnlySpan();
        var y = LossOutput<T>(logits.Shape, reduction);
        using var buffer = Scratch<T>.Rent(x.Length * (reduction == Reduction.None ? 1 : 2));
        var losses = reduction == Reduction.None ? y.AsSpan() : buffer.Span[..x.Length];
        var softplus = buffer.Span.Slice(buffer.Span.Length - x.Length, x.Length);
        TensorPrimitives.Abs(x, softplus);
        TensorPrimitives.Negate(softplus, softplus);
        TensorPrimitives.Exp(softplus, softplus);
        TensorPrimitives.LogP1(softplus, softplus);                  // log(1 + exp(−|x|)): the argument of the log is in (1, 2]
        TensorPrimitives.Multiply(x, target.AsReadOnlySpan(), losses);
        InPlace.Subtract(softplus, losses);       // log(1 + exp(−|x|)) − x·t
        TensorPrimitives.Max(x, T.Zero, losses);
        InPlace.Add(losses, softplus);
        return FinishLoss<T, BceWithLogitsLossNode<T>>("BceWithLogitsLoss", y, losses, reduction, logits, target);
    }

    // binary_cross_entropy_with_logits: scale · (σ(x) − t) to x, −scale · x to t
    private sealed class BceWithLogitsLossNode<T> : ElementwiseLossNode<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), t = Input(1);
            var scale = ElementScales(g, Reduction, x.Length);
            if (pass.Wants(x)) pass.Add(x, x.Sigmoid().Sub(t).Mul(scale));
            if (pass.Wants(t)) pass.Add(t, x.Neg().Mul(scale));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            Tensor<T> logits = Input(0), target = Input(1);
            var x = logits.AsReadOnlySpan();
            using var d = Scratch<T>.Rent(x.Length);
            if (pass.Wants(logits))
            {
                if (x.Length != 0) TensorPrimitives.Sigmoid(x, d.Span);   // it rejects empty spans
                InPlace.Subtract(d.Span, target.AsReadOnlySpan());
                AddLossGradient(pass, logits, Reduction, gy, d.Span);
            }
            if (pass.Wants(target))
            {
                TensorPrimitives.Negate(x, d.Span);
                AddLossGradient(pass, target, Reduction, gy, d.Span);
            }
        }
    }

    // ---- machinery of the elementwise losses

    private static void CheckPair<T>(string op, Tensor<T> input, Tensor<T> target, Reduction reduction,
        [CallerArgumentExpression(nameof(input))] string inputName = "") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input, inputName);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(op, reduction, input);
        if (input.Shape != target.Shape) ThrowShapeMismatch(op, input.Shape, target.Shape);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowShapeMismatch(string op, Shape input, Shape target) =>
        throw new ArgumentException($"{op}: the input has shape {input} but the target has shape {target}; they must be equal (no broadcasting).", nameof(target));

    private static Tensor<T> LossOutput<T>(Shape inputShape, Reduction reduction) where T : unmanaged, IFloatingPointIeee754<T> =>
        Tensor<T>.Uninitialized(reduction == Reduction.None ? inputShape : Shape.Scalar);

    /// <summary>The node of an elementwise loss: its reduction is all the state it needs besides its inputs.</summary>
    private abstract class ElementwiseLossNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Reduction Reduction;
    }

    // Reduces the per-element losses into y (unless None, where they already are y) and records the op.
    private static Tensor<T> FinishLoss<T, TNode>(string op, Tensor<T> y, ReadOnlySpan<T> losses, Reduction reduction,
        Tensor<T> input, Tensor<T> target) where T : unmanaged, IFloatingPointIeee754<T> where TNode : ElementwiseLossNode<T>, new()
    {
        return reduction == Reduction.None
            ? Recorded<T, TNode>(op, y, reduction, input, target)
            : FinishReducedLoss<T, TNode>(op, y, TensorPrimitives.Sum(losses), losses.Length, reduction, input, target);
    }

    // Writes a reduced loss (the sum of <paramref name="count"/> per-element losses) and records the op.
    private static Tensor<T> FinishReducedLoss<T, TNode>(string op, Tensor<T> y, T sum, int count, Reduction reduction,
        Tensor<T> input, Tensor<T> target) where T : unmanaged, IFloatingPointIeee754<T> where TNode : ElementwiseLossNode<T>, new()
    {
        y.AsSpan()[0] = reduction == Reduction.Mean ? sum / T.CreateChecked(count) : sum;
        return Recorded<T, TNode>(op, y, reduction, input, target);
    }

    private static Tensor<T> Recorded<T, TNode>(string op, Tensor<T> y, Reduction reduction, Tensor<T> input, Tensor<T> target)
        where T : unmanaged, IFloatingPointIeee754<T> where TNode : ElementwiseLossNode<T>, new()
    {
        if (Autodiff<T>.ShouldRecord(input, target)) Autodiff<T>.Record<TNode>(op, y, input, target).Reduction = reduction;
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // d(reduced loss)/d(element) as a tensor to multiply per-element terms with: the gradient itself without reduction,
    // the scalar gradient for a sum, divided by the element count for a mean.
    private static Tensor<T> ElementScales<T>(Tensor<T> g, Reduction reduction, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        reduction == Reduction.Mean ? g.Div(T.CreateChecked(count)) : g;

    // input grad += ∂loss/∂element ⊙ d, target grad −= the same (for losses where d/dtarget = −d/dinput).
    // A constant factor of the derivative (MSE's 2) is folded into the scale of a reduced loss instead of taking a pass over d.
    private static void AddLossGradients<T>(BackwardPass<T> pass, Tensor<T> input, Tensor<T> target, Reduction reduction, ReadOnlySpan<T> gy,
        Span<T> d, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction == Reduction.None && factor != T.One) { InPlace.Scale(d, factor); factor = T.One; }
        AddLossGradient(pass, input, reduction, gy, d, factor);
        if (pass.Wants(target))
        {
            TensorPrimitives.Negate(d, d);
            AddLossGradient(pass, target, reduction, gy, d, factor);
        }
    }

    // x.grad (+)= ∂loss/∂element ⊙ d, where ∂loss/∂element is gy itself (None), gy[0] (Sum) or gy[0]/count (Mean);
    // for a reduced loss the scale is multiplied by factor.
    private static void AddLossGradient<T>(BackwardPass<T> pass, Tensor<T> x, Reduction reduction, ReadOnlySpan<T> gy, ReadOnlySpan<T> d)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AddLossGradient(pass, x, reduction, gy, d, T.One);

    private static void AddLossGradient<T>(BackwardPass<T> pass, Tensor<T> x, Reduction reduction, ReadOnlySpan<T> gy, ReadOnlySpan<T> d, T factor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!pass.TryGrad(x, out var g, out bool fresh)) return;
        if (reduction == Reduction.None)
        {
            if (fresh) TensorPrimitives.Multiply(d, gy, g);
            else InPlace.AddProduct(g, d, gy);
        }
        else if (fresh) TensorPrimitives.Multiply(d, factor * SampleScale(gy, reduction, 0, d.Length), g);
        else InPlace.AddScaled(g, d, factor * SampleScale(gy, reduction, 0, d.Length));
    }
}
