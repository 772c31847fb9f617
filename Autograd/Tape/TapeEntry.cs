using System.Numerics;

namespace Autograd;

/// <summary>
/// Back-propagates one recorded op: reads the op's output gradient <paramref name="gradOutput"/> and adds
/// (or, into a fresh buffer, writes) the input gradients through <c>Tape.TryGrad</c>. Implementations are static methods beside
/// the op's forward, so recording allocates no closure.
/// </summary>
internal delegate void BackwardFn<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gradOutput) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>One recorded op: its name, inputs, output, what it saved and its backward function.</summary>
internal struct TapeEntry<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public string Op;
    public BackwardFn<T> Backward;
    public Tensor<T> Output;
    /// <summary>Inputs (A, B, C) in the op's argument order; unused ones are null.</summary>
    public Tensor<T>? A, B, C;
    /// <summary>Extra tensors saved for backward (often the output itself).</summary>
    public Tensor<T>? Saved;
    /// <summary>
    /// A pooled buffer only backward reads (e.g. CrossEntropy's softmax rows): no Tensor handle, no scope entry.
    /// The tape returns it to the pool when it clears the entry.
    /// </summary>
    public T[]? SavedBuffer;
    public int SavedOffset;
    /// <summary>Small op parameters (axis, keepDim, reduction, …).</summary>
    public int I0, I1, I2;
    /// <summary>Scalar op parameters (slope, exponent, clamp bounds, …).</summary>
    public T X0, X1;
    /// <summary>Rarely needed extra state (class targets, permutation, shapes); may be an existing array.</summary>
    public object? Extra;
    /// <summary>Where the op was recorded (anomaly mode only).</summary>
    public string? Site;
}
