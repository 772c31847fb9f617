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
            return FinishReducedLoss("MseLoss", y, sum, diff.Length, reduction, MseLossBackward, pred, target);
        }
        // Difference and square in separate buffers: TensorPrimitives runs several times slower in place.
        TensorPrimitives.Multiply(diff, diff, y.AsSpan());
        return FinishLoss("MseLoss", y, y.AsReadOnlySpan(), reduction, MseLossBackward, pred, target);
    }

    // d/dpred = 2(pred − target) = −d/dtarget
    private static void MseLossBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var d = Scratch<T>.Rent(e.A!.Length);
        TensorPrimitives.Subtract(e.A.AsReadOnlySpan(), e.B!.AsReadOnlySpan(), d.Span);
        AddLossGradients(ref e, gy, d.Span, factor: T.CreateChecked(2));
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
        return FinishLoss("BceLoss", y, losses, reduction, BceLossBackward, p, target);
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

    // d/dp = (p − t) / max(p(1 − p), 1e-12) (PyTorch's form, finite at p = 0 or 1); d/dt = log(1 − p) − log p (clamped logs).
    private static void BceLossBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = e.A!.AsReadOnlySpan();
        int n = p.Length;
        using var scratch = Scratch<T>.Rent(2 * n);
        var dp = scratch.Span[..n];
        var dt = scratch.Span.Slice(n, n);
        bool wantP = e.A.RequiresGrad, wantT = e.B!.RequiresGrad;
        if (wantP)
        {
            TensorPrimitives.Subtract(T.One, p, dt);
            TensorPrimitives.Multiply(dt, p, dt);
            TensorPrimitives.Max(dt, T.CreateChecked(1e-12), dt);
            TensorPrimitives.Subtract(p, e.B.AsReadOnlySpan(), dp);
            TensorPrimitives.Divide(dp, dt, dp);
            AddLossGradient(e.A, ref e, gy, dp);
        }
        if (wantT)
        {
            ClampedLogs(p, dp, dt);
            InPlace.Subtract(dt, dp);
            AddLossGradient(e.B!, ref e, gy, dt);
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
        return FinishLoss("BceWithLogitsLoss", y, losses, reduction, BceWithLogitsLossBackward, logits, target);
    }

    private static void BceWithLogitsLossBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = e.A!.AsReadOnlySpan();
        using var d = Scratch<T>.Rent(x.Length);
        if (e.A.RequiresGrad)
        {
            if (x.Length != 0) TensorPrimitives.Sigmoid(x, d.Span);   // it rejects empty spans
            InPlace.Subtract(d.Span, e.B!.AsReadOnlySpan());
            AddLossGradient(e.A, ref e, gy, d.Span);
        }
        if (e.B!.RequiresGrad)
        {
            TensorPrimitives.Negate(x, d.Span);
            AddLossGradient(e.B!, ref e, gy, d.Span);
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

    // Reduces the per-element losses into y (unless None, where they already are y) and records the op.
    private static Tensor<T> FinishLoss<T>(string op, Tensor<T> y, ReadOnlySpan<T> losses, Reduction reduction, BackwardFn<T> backward,
        Tensor<T> input, Tensor<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        return reduction == Reduction.None
            ? Recorded(op, y, reduction, backward, input, target)
            : FinishReducedLoss(op, y, TensorPrimitives.Sum(losses), losses.Length, reduction, backward, input, target);
    }

    // Writes a reduced loss (the sum of <paramref name="count"/> per-element losses) and records the op.
    private static Tensor<T> FinishReducedLoss<T>(string op, Tensor<T> y, T sum, int count, Reduction reduction, BackwardFn<T> backward,
        Tensor<T> input, Tensor<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        y.AsSpan()[0] = reduction == Reduction.Mean ? sum / T.CreateChecked(count) : sum;
        return Recorded(op, y, reduction, backward, input, target);
    }

    private static Tensor<T> Recorded<T>(string op, Tensor<T> y, Reduction reduction, BackwardFn<T> backward,
        Tensor<T> input, Tensor<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.ShouldRecord(input, target)) Tape<T>.Record(op, y, backward, input, target).I0 = (int)reduction;
        else Tape<T>.CheckForward(op, y);
        return y;
    }

    // input grad += ∂loss/∂element ⊙ d, target grad −= the same (for losses where d/dtarget = −d/dinput).
    // A constant factor of the derivative (MSE's 2) is folded into the scale of a reduced loss instead of taking a pass over d.
    private static void AddLossGradients<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy, Span<T> d, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((Reduction)e.I0 == Reduction.None && factor != T.One) { InPlace.Scale(d, factor); factor = T.One; }
        AddLossGradient(e.A!, ref e, gy, d, factor);
        if (e.B!.RequiresGrad)
        {
            TensorPrimitives.Negate(d, d);
            AddLossGradient(e.B, ref e, gy, d, factor);
        }
    }

    // x.grad (+)= ∂loss/∂element ⊙ d, where ∂loss/∂element is gy itself (None), gy[0] (Sum) or gy[0]/count (Mean);
    // for a reduced loss the scale is multiplied by factor.
    private static void AddLossGradient<T>(Tensor<T> x, ref TapeEntry<T> e, ReadOnlySpan<T> gy, ReadOnlySpan<T> d) where T : unmanaged, IFloatingPointIeee754<T> =>
        AddLossGradient(x, ref e, gy, d, T.One);

    private static void AddLossGradient<T>(Tensor<T> x, ref TapeEntry<T> e, ReadOnlySpan<T> gy, ReadOnlySpan<T> d, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(x, out var g, out bool fresh)) return;
        var reduction = (Reduction)e.I0;
        if (reduction == Reduction.None)
        {
            if (fresh) TensorPrimitives.Multiply(d, gy, g);
            else InPlace.AddProduct(g, d, gy);
        }
        else if (fresh) TensorPrimitives.Multiply(d, factor * SampleScale(gy, reduction, 0, d.Length), g);
        else InPlace.AddScaled(g, d, factor * SampleScale(gy, reduction, 0, d.Length));
    }
}
