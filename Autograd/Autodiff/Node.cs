using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// The record of one op application (PyTorch's grad_fn): the tensors it read, what its derivative needs, and its
/// derivative rule. The tensor the op produced points to its node, and a node points to its inputs, so a graph is
/// reachable from its outputs only and is collected with them: nothing global grows while nobody calls Backward.
/// </summary>
/// <remarks>
/// Each op declares its node type beside its forward. <see cref="Rule"/> is the derivative written with
/// differentiable ops (it is what runs when the gradient itself must be recorded, and for ops without a fused path);
/// <see cref="Fused"/> is an optional span kernel for the first-order case that must agree with the rule (the op
/// sweep checks both on every row).
/// </remarks>
internal abstract class Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [InlineArray(3)]
    internal struct InputArray { private Tensor<T>? _element; }

    /// <summary>The op's name, for messages.</summary>
    internal string Name = "";

    /// <summary>The op's inputs in argument order (PyTorch's next edges); more than three live in <see cref="ManyInputs"/>.</summary>
    internal InputArray Inputs;
    internal Tensor<T>[]? ManyInputs;
    internal int InputCount;

    /// <summary>The tensor this node produced (the gradient it receives has its shape).</summary>
    internal Tensor<T> Output = null!;

    /// <summary>Where the op was recorded (anomaly mode only).</summary>
    internal string? Site;

    /// <summary>True once a Backward without retainGraph went through this node: its saved state is gone.</summary>
    internal bool Freed;

    // ---- state of the backward pass that is visiting this node (valid while Visit == that pass's epoch)
    internal long Visit;
    /// <summary>Some input of this node wants a gradient in the current pass, so its rule must run.</summary>
    internal bool Runs;
    /// <summary>How many input edges of the pass's nodes lead to this node (an op that reads it twice counts twice).</summary>
    internal int Consumers;
    /// <summary>The gradient of <see cref="Output"/> as a pooled buffer (first-order pass) ...</summary>
    internal T[]? GradBuffer;
    internal int GradOffset;
    internal bool GradBufferPooled;
    /// <summary>... or as a tensor (a pass that records the gradient, or a rule that produced it as one).</summary>
    internal Tensor<T>? GradTensor;

    internal Tensor<T> Input(int i) => ManyInputs is { } many ? many[i] : Inputs[i]!;

    /// <summary>
    /// The derivative rule, written with differentiable ops: given the gradient of the output, hands each input's
    /// gradient to <paramref name="pass"/> (<see cref="BackwardPass{T}.Wants"/> says which are needed). Gradients may
    /// have a broadcast shape: the pass sums them back to the input's shape.
    /// </summary>
    internal abstract void Rule(Tensor<T> gradOutput, BackwardPass<T> pass);

    /// <summary>True if <see cref="Fused"/> is implemented.</summary>
    internal virtual bool HasFused => false;

    /// <summary>
    /// The first-order derivative as span kernels: reads the output gradient and writes or adds the input gradients
    /// through <see cref="BackwardPass{T}.TryGrad(Tensor{T}, out Span{T}, out bool)"/>. Must agree with <see cref="Rule"/>.
    /// </summary>
    internal virtual void Fused(ReadOnlySpan<T> gradOutput, BackwardPass<T> pass) => throw new NotSupportedException(Name);

    /// <summary>False for an op whose derivative cannot itself be differentiated (the pass then refuses createGraph, naming the op).</summary>
    internal virtual bool SupportsHigherOrder => true;

    /// <summary>Drops what only backward needed (saved tensors, pooled buffers); called when the graph is freed.</summary>
    internal virtual void ReleaseSaved() { }
}
