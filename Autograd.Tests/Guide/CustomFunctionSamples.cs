namespace Autograd.Tests.Guide;

#region hypot
/// <summary>r = √(a² + b²) elementwise, with ∂r/∂a = a/r and ∂r/∂b = b/r.</summary>
sealed class Hypot : CustomFunction<double>
{
    protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        var r = (a.Square() + b.Square()).Sqrt();
        ctx.SaveForBackward(a, b, r);      // inputs and the output itself
        return r;
    }

    // Written with tensor ops, so it is recorded when a gradient is taken with createGraph: Hypot is twice differentiable.
    protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad)
    {
        var (a, b, r) = (ctx.Saved[0], ctx.Saved[1], ctx.Saved[2]);
        return [ctx.NeedsInputGrad(0) ? grad * a / r : null,    // null: that input needs no gradient
                ctx.NeedsInputGrad(1) ? grad * b / r : null];
    }
}
#endregion

#region softplus
/// <summary>
/// softplus(x) = log(1 + eˣ), computed element by element over spans. Its backward is a loop too, not tensor ops,
/// so it cannot be differentiated again: OnceDifferentiable says so, and createGraph through it throws, naming it.
/// </summary>
sealed class SpanSoftplus : CustomFunction<float>
{
    protected override bool OnceDifferentiable => true;

    protected override Tensor<float> Forward(FunctionContext<float> ctx, Tensor<float>[] inputs)
    {
        var x = inputs[0];
        ctx.SaveForBackward(x);
        var y = Tensor.Empty<float>(x.Shape);
        var xs = x.AsReadOnlySpan();
        var ys = y.AsSpan();
        for (int i = 0; i < xs.Length; i++)
            ys[i] = MathF.Max(xs[i], 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(xs[i])));   // no overflow for large x
        return y;
    }

    protected override Tensor<float>?[] Backward(FunctionContext<float> ctx, Tensor<float> grad)
    {
        var xs = ctx.Saved[0].AsReadOnlySpan();
        var gs = grad.AsReadOnlySpan();
        var dx = Tensor.Empty<float>(grad.Shape);
        var ds = dx.AsSpan();
        for (int i = 0; i < ds.Length; i++) ds[i] = gs[i] / (1 + MathF.Exp(-xs[i]));   // grad · σ(x)
        return [dx];
    }
}
#endregion

#region straight-through
/// <summary>
/// Rounds to the nearest integer in the forward pass and passes the gradient through unchanged (the straight-through
/// estimator of quantization-aware training: the true derivative of rounding is zero almost everywhere).
/// </summary>
sealed class RoundStraightThrough : CustomFunction<float>
{
    protected override Tensor<float> Forward(FunctionContext<float> ctx, Tensor<float>[] inputs)
    {
        var y = inputs[0].Clone();
        foreach (ref float v in y.AsSpan()) v = MathF.Round(v);
        return y;
    }

    protected override Tensor<float>?[] Backward(FunctionContext<float> ctx, Tensor<float> grad) => [grad];
}
#endregion

/// <summary>The method-body samples of docs/guide/custom-functions.md.</summary>
internal static class CustomFunctionSamples
{
    public static (Tensor<double> A, Tensor<double> B, Tensor<double> R) UseHypot()
    {
        #region use-hypot
        var a = Tensor.FromArray(new[] { 3.0, 5.0 });
        var b = Tensor.FromArray(new[] { 4.0, 12.0 });
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        var r = new Hypot().Apply(a, b);        // [5, 13], recorded as one op named "Hypot"
        r.Sum().Backward();                     // a.Grad = a/r = [0.6, 0.385], b.Grad = b/r = [0.8, 0.923]

        // Check it against central differences in float64, first and second order, before relying on it.
        var (x, y) = (Tensor.FromArray(new[] { 0.3, -1.2, 2.0 }), Tensor.FromArray(new[] { 0.7, 0.4, -1.5 }));
        x.RequiresGrad = true;
        y.RequiresGrad = true;
        GradCheck.Assert(xs => new Hypot().Apply(xs[0], xs[1]), [x, y]);
        GradCheck.AssertGradGrad(xs => new Hypot().Apply(xs[0], xs[1]), [x, y]);
        #endregion
        return (a, b, r);
    }
}
