namespace Autograd;

/// <summary>
/// A differentiable op defined by the user, the way the built-in ops are defined (torch.autograd.Function): a forward
/// over tensors and a backward that turns the output's gradient into the inputs' gradients. Write the backward with
/// tensor ops and the function is differentiable twice (its backward is recorded when a gradient is taken with
/// createGraph); mark it with <see cref="OnceDifferentiable"/> if the backward uses anything else.
/// </summary>
/// <example><code>
/// sealed class LogCosh : CustomFunction&lt;double&gt;
/// {
///     protected override Tensor&lt;double&gt; Forward(FunctionContext&lt;double&gt; ctx, Tensor&lt;double&gt;[] inputs)
///     {
///         ctx.SaveForBackward(inputs[0]);
///         var x = inputs[0];   // log cosh x = |x| + log(1 + e^(−2|x|)) − log 2, stable for large |x|
///         return x.Abs() + (x.Abs() * -2.0).Exp().Add(1.0).Log() - Math.Log(2);
///     }
///     protected override Tensor&lt;double&gt;?[] Backward(FunctionContext&lt;double&gt; ctx, Tensor&lt;double&gt; grad) =>
///         [grad * ctx.Saved[0].Tanh()];
/// }
/// var y = new LogCosh().Apply(x);
/// </code></example>
public abstract class CustomFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The name used in error messages and anomaly reports (default: the type name).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>
    /// Override to return true if <see cref="Backward"/> is not written with differentiable ops: taking a gradient
    /// through this function with createGraph then throws NotSupportedException, naming it. False by default.
    /// </summary>
    protected virtual bool OnceDifferentiable => false;

    /// <summary>
    /// Computes the output from <paramref name="inputs"/>. Runs with recording off: the ops used here are not part of
    /// the graph; this function is. Save what <see cref="Backward"/> needs with <see cref="FunctionContext{T}.SaveForBackward"/>.
    /// </summary>
    protected abstract Tensor<T> Forward(FunctionContext<T> ctx, Tensor<T>[] inputs);

    /// <summary>
    /// The gradient of each input (null where none is needed: see <see cref="FunctionContext{T}.NeedsInputGrad"/>),
    /// given the gradient of the output. A gradient may have a broadcast shape; it is summed to the input's shape.
    /// </summary>
    protected abstract Tensor<T>?[] Backward(FunctionContext<T> ctx, Tensor<T> gradOutput);

    /// <summary>Applies the function: the output is recorded as one op whose derivative is <see cref="Backward"/>.</summary>
    public Tensor<T> Apply(params Tensor<T>[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException($"{Name}: a custom function needs at least one input.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"{Name}: input {i} is null.");
        var copy = (Tensor<T>[])inputs.Clone();   // the caller may reuse its array
        var ctx = new FunctionContext<T>(copy);
        Tensor<T> y;
        using (Grad.NoGrad()) y = Forward(ctx, copy) ?? throw new InvalidOperationException($"{Name}: Forward returned null.");
        bool record = Grad.IsEnabled && !ctx.NonDifferentiable && copy.Any(t => t.RequiresGrad);
        if (!record) return y;
        // The output must be a tensor of its own: an input (or a view of one) returned as is cannot get a grad_fn.
        if (Array.Exists(copy, t => ReferenceEquals(t, y)) || y.Base is not null) y = y.Clone();
        var node = new FunctionNode(this, ctx);
        Autodiff<T>.Record(Name, y, node, copy);
        return y;
    }

    private sealed class FunctionNode(CustomFunction<T> function, FunctionContext<T> ctx) : Node<T>
    {
        internal override bool SupportsHigherOrder => !function.OnceDifferentiable;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            ctx.Pass = pass;
            Tensor<T>?[] grads;
            try { grads = function.Backward(ctx, g) ?? throw new InvalidOperationException($"{function.Name}: Backward returned null."); }
            finally { ctx.Pass = null; }
            if (grads.Length != InputCount)
                throw new InvalidOperationException($"{function.Name}: Backward returned {grads.Length} gradients for {InputCount} inputs; return one per input (null for none).");
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } gi) continue;
                var x = Input(i);
                if (gi.Shape != x.Shape && !BroadcastsTo(x.Shape, gi.Shape))
                    throw new InvalidOperationException($"{function.Name}: Backward returned a gradient of shape {gi.Shape} for input {i} of shape {x.Shape}.");
                pass.Add(x, gi);
            }
        }

        internal override void ReleaseSaved() => ctx.Release();

        private static bool BroadcastsTo(Shape from, Shape to)
        {
            try { return Kernels.Broadcast.Shapes("", from, to) == to; }
            catch (ArgumentException) { return false; }
        }
    }
}

/// <summary>What a <see cref="CustomFunction{T}"/> application keeps between its forward and its backward.</summary>
public sealed class FunctionContext<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _inputs;
    private Tensor<T>[] _saved = [];

    internal FunctionContext(Tensor<T>[] inputs) => _inputs = inputs;

    internal BackwardPass<T>? Pass;
    internal bool NonDifferentiable;

    /// <summary>Keeps <paramref name="tensors"/> for <see cref="CustomFunction{T}.Backward"/> (inputs, the output, anything computed).</summary>
    public void SaveForBackward(params Tensor<T>[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _saved = (Tensor<T>[])tensors.Clone();
    }

    /// <summary>What <see cref="SaveForBackward"/> kept, in its order.</summary>
    public IReadOnlyList<Tensor<T>> Saved => _saved;

    /// <summary>Declares the output not differentiable (a mask, an index map): it will not require grad.</summary>
    public void MarkNonDifferentiable() => NonDifferentiable = true;

    /// <summary>In Backward: true if input <paramref name="index"/>'s gradient is needed (skip computing the others).</summary>
    public bool NeedsInputGrad(int index)
    {
        if ((uint)index >= (uint)_inputs.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"NeedsInputGrad: index {index} is outside the {_inputs.Length} inputs.");
        return Pass?.Wants(_inputs[index]) ?? _inputs[index].RequiresGrad;
    }

    internal void Release() => _saved = [];
}
