namespace Autograd;

/// <summary>
/// Gradients as values, like torch.autograd.grad and torch.autograd.functional: nothing here touches
/// <see cref="Tensor{T}.Grad"/>. Higher derivatives come from differentiating a gradient computed with
/// <c>createGraph: true</c>.
/// </summary>
public static class Functional
{
    /// <summary>
    /// The gradients of <paramref name="outputs"/> (weighted by <paramref name="gradOutputs"/>; null entries mean 1 for a
    /// one-element output) with respect to each of <paramref name="inputs"/>, which must require grad. With
    /// <paramref name="createGraph"/> the results are recorded, so they can be differentiated again (the graph is then
    /// retained). An input the outputs do not depend on throws unless <paramref name="allowUnused"/> (its entry is then null).
    /// Inside a <see cref="TensorScope"/> the results are disposed with the scope, like op results.
    /// </summary>
    public static Tensor<T>?[] Grad<T>(Tensor<T>[] outputs, Tensor<T>[] inputs, Tensor<T>?[]? gradOutputs = null,
        bool retainGraph = false, bool createGraph = false, bool allowUnused = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardPass<T>.Gradients(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused);

    /// <summary>d(output)/d(input) for one output and one input (see the array overload).</summary>
    public static Tensor<T> Grad<T>(Tensor<T> output, Tensor<T> input, Tensor<T>? gradOutput = null,
        bool retainGraph = false, bool createGraph = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardPass<T>.Gradients([output], [input], [gradOutput], retainGraph, createGraph, allowUnused: false)[0]!;

    /// <summary>
    /// f(x) and the vector-Jacobian product vᵀ·∂f/∂x (one backward pass). <paramref name="v"/> has f(x)'s shape.
    /// </summary>
    public static (Tensor<T> Output, Tensor<T> Vjp) Vjp<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v, bool createGraph = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (input, y) = Evaluate(f, x, "Vjp");
        var vjp = Gradient(y, input, v, retainGraph: false, createGraph, "Vjp");
        return (y, vjp);
    }

    /// <summary>
    /// f(x) and the Jacobian-vector product ∂f/∂x·v, computed in reverse mode by the double-vjp trick: g(u) = uᵀ·J is
    /// recorded for a dummy u, and J·v = ∂(g(u)·v)/∂u. It costs one forward pass, one recording backward pass and one
    /// backward pass through that (about three vjps), with no forward-mode machinery. <paramref name="v"/> has x's shape.
    /// </summary>
    public static (Tensor<T> Output, Tensor<T> Jvp) Jvp<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v, bool createGraph = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(v);
        var (input, y) = Evaluate(f, x, "Jvp");
        if (v.Shape != x.Shape) throw new ArgumentException($"Jvp: v has shape {v.Shape} but x has shape {x.Shape}.", nameof(v));
        var u = Tensor.Zeros<T>(y.Shape.Dimensions);
        u.RequiresGrad = true;
        var g = Gradient(y, input, u, retainGraph: true, createGraph: true, "Jvp");
        var jvp = g.RequiresGrad ? Gradient(g, u, v, retainGraph: false, createGraph, "Jvp") : Tensor.Zeros<T>(y.Shape.Dimensions);
        return (y, jvp);
    }

    /// <summary>The Jacobian ∂f/∂x with shape [f(x)'s shape…, x's shape…], one backward pass per output element.</summary>
    public static Tensor<T> Jacobian<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, bool createGraph = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (input, y) = Evaluate(f, x, "Jacobian");
        return JacobianOf(y, input, createGraph, "Jacobian");
    }

    /// <summary>The Hessian of a scalar f with shape [x's shape…, x's shape…]: the Jacobian of the recorded gradient.</summary>
    public static Tensor<T> Hessian<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (input, y) = Evaluate(f, x, "Hessian");
        if (y.Length != 1) throw new ArgumentException($"Hessian: f must return one element, got shape {y.Shape}.", nameof(f));
        var g = Gradient(y, input, null, retainGraph: true, createGraph: true, "Hessian");
        return JacobianOf(g, input, createGraph: false, "Hessian");
    }

    /// <summary>f(x) and the Hessian-vector product H·v of a scalar f (two backward passes, no Hessian formed).</summary>
    public static (Tensor<T> Output, Tensor<T> Hvp) Hvp<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(v);
        var (input, y) = Evaluate(f, x, "Hvp");
        if (y.Length != 1) throw new ArgumentException($"Hvp: f must return one element, got shape {y.Shape}.", nameof(f));
        if (v.Shape != x.Shape) throw new ArgumentException($"Hvp: v has shape {v.Shape} but x has shape {x.Shape}.", nameof(v));
        var g = Gradient(y, input, null, retainGraph: true, createGraph: true, "Hvp");
        // H is symmetric, so vᵀ·H (a vjp of the gradient) is H·v.
        var hvp = g.RequiresGrad ? Gradient(g, input, v, retainGraph: false, createGraph: false, "Hvp") : Tensor.Zeros<T>(x.Shape.Dimensions);
        return (y, hvp);
    }

    // f at a leaf that shares x's values and requires grad, so the caller's x is left as it is.
    private static (Tensor<T> Input, Tensor<T> Output) Evaluate<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f); ArgumentNullException.ThrowIfNull(x);
        var input = x.Detach();
        input.RequiresGrad = true;
        var y = f(input) ?? throw new InvalidOperationException($"{op}: f returned null.");
        if (!y.RequiresGrad)
            throw new InvalidOperationException($"{op}: f's output (shape {y.Shape}) does not depend on its input through recorded ops (did f run under Grad.NoGrad(), or detach its input?).");
        return (input, y);
    }

    // d(output)/d(input) weighted by gradOutput; zeros where the output does not depend on the input.
    private static Tensor<T> Gradient<T>(Tensor<T> output, Tensor<T> input, Tensor<T>? gradOutput, bool retainGraph, bool createGraph, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = BackwardPass<T>.Gradients([output], [input], [gradOutput], retainGraph, createGraph, allowUnused: true)[0];
        return g ?? Tensor.Zeros<T>(input.Shape.Dimensions);
    }

    private static Tensor<T> JacobianOf<T>(Tensor<T> y, Tensor<T> x, bool createGraph, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Rank + x.Rank > Shape.MaxRank)
            throw new ArgumentException($"{op}: the result would have rank {y.Rank + x.Rank} (output {y.Shape}, input {x.Shape}), more than {Shape.MaxRank}.");
        Span<int> dims = stackalloc int[y.Rank + x.Rank];
        y.Shape.Dimensions.CopyTo(dims);
        x.Shape.Dimensions.CopyTo(dims[y.Rank..]);
        var rows = new Tensor<T>[y.Length];
        var seed = Tensor.Zeros<T>(y.Shape.Dimensions);
        for (int i = 0; i < y.Length; i++)
        {
            seed.AsSpan().Clear();
            seed.AsSpan()[i] = T.One;
            var row = y.RequiresGrad
                ? Gradient(y, x, createGraph ? seed.Clone() : seed, retainGraph: true, createGraph, op)
                : Tensor.Zeros<T>(x.Shape.Dimensions);
            rows[i] = row.Reshape(1, x.Length);
        }
        if (rows.Length == 0) return Tensor.Zeros<T>(dims);
        return rows.Concat(axis: 0).Reshape(dims);
    }
}
