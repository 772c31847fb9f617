using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// A dense, contiguous, row-major tensor of <typeparamref name="T"/> (float or double) that can take part
/// in reverse-mode differentiation: ops on tensors that require grad are recorded on the thread's tape.
/// </summary>
public sealed partial class Tensor<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _data;
    private readonly int _offset;
    private bool _requiresGrad;

    // A view (Reshape, Detach, first-axis slice) shares its base's storage; only the owner returns it to a pool.
    private readonly Tensor<T>? _base;
    private readonly bool _pooled;

    // A field rather than an auto-property: Length, Rank and the spans read its parts in place, where a property read
    // would copy the whole struct (its dimensions are inline) first wherever the getter is not inlined.
    private readonly Shape _shape;

    /// <summary>The dimensions.</summary>
    public Shape Shape => _shape;

    /// <summary>The record of the op that produced this tensor (PyTorch's grad_fn); null for leaves.</summary>
    internal Node<T>? GradFn;

    internal Tensor(Shape shape, T[] data, int offset, Tensor<T>? viewOf, bool pooled)
    {
        if (offset < 0 || (long)offset + shape.Length > data.Length) ThrowStorageTooSmall(shape, data.Length, offset);
        _shape = shape;
        _data = data;
        _offset = offset;
        _base = viewOf?._base ?? viewOf;
        _pooled = pooled;
        // Only pooled storage and views of it belong to a scope; tensors over caller-owned arrays never do.
        if (pooled || (_base is not null && _base._pooled)) TensorScope.Register(this);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStorageTooSmall(Shape shape, int length, int offset) =>
        throw new ArgumentException($"Tensor: storage of {length} elements cannot hold shape {shape} at offset {offset}.");

    // An op result over freshly rented pool storage: nothing to check, and the caller registers it with its scope.
    private Tensor(Shape shape, T[] data, int offset)
    {
        _shape = shape;
        _data = data;
        _offset = offset;
        _pooled = true;
    }

    /// <summary>
    /// Wraps <paramref name="data"/> (no copy) with the given shape; its length must equal the shape's. The array stays
    /// the caller's: unlike the factories' tensors, this one never belongs to a <see cref="TensorScope"/>.
    /// </summary>
    public Tensor(T[] data, Shape shape, bool requiresGrad = false) : this(CheckLength(data, shape), data, 0, null, pooled: false) =>
        _requiresGrad = requiresGrad;

    private static Shape CheckLength(T[] data, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != shape.Length)
            throw new ArgumentException($"Tensor: {data.Length} values do not fill shape {shape} ({shape.Length} elements).");
        return shape;
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Length => _shape.Length;

    /// <summary>"float32" or "float64".</summary>
    public static string DType => typeof(T) == typeof(float) ? "float32" : typeof(T) == typeof(double) ? "float64" : typeof(T).Name;

    /// <summary>The elements in row-major order (no copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> AsSpan() => new(Storage, _offset, _shape.Length);

    /// <summary>The elements in row-major order, read-only (no copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> AsReadOnlySpan() => new(Storage, _offset, _shape.Length);

    internal T[] Storage
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // IsDisposed spelled out: one call fewer wherever this getter is not inlined.
            var data = _data;
            if (data is null || (_base is not null && _base._data is null)) ThrowDisposed();
            return data!;
        }
    }

    // Out of line, so that the getter above stays small enough to inline into every AsSpan.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() => throw new ObjectDisposedException(
        $"Tensor{Shape}", "This tensor (or the tensor it is a view of) was disposed, e.g. when its TensorScope ended; call scope.Keep(tensor) to use it after the scope.");

    internal int Offset => _offset;

    /// <summary>True once the tensor's storage was released by <see cref="Dispose"/> or its scope.</summary>
    public bool IsDisposed => _data is null || (_base is not null && _base._data is null);

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves (tensors no recorded op produced);
    /// a tensor produced by a recorded op always requires grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf)
                throw new InvalidOperationException($"RequiresGrad can only be set on a leaf tensor; this {Shape} tensor was produced by {OpName}. Use Detach() to get a leaf.");
            _requiresGrad = value;
        }
    }

    /// <summary>True if no recorded op produced this tensor.</summary>
    public bool IsLeaf => GradFn is null;

    private Tensor<T>? _grad;
    // Set by ZeroGrad: the buffer's contents are dead. The next backward overwrites it instead of adding
    // (so no separate clearing pass); a reader before that sees zeros.
    private bool _gradStale;
    // Set when _grad is a tensor a recording backward produced (createGraph): it may share storage with other
    // gradients or be a graph's op result, so it is replaced rather than written in place.
    private bool _gradShared;

    /// <summary>
    /// The accumulated gradient of a leaf after <see cref="Backward"/>; null until the first backward reaches it.
    /// After <see cref="ZeroGrad"/> it reads as zeros. Always null on tensors produced by recorded ops: their gradients
    /// exist only while backward runs.
    /// </summary>
    public Tensor<T>? Grad
    {
        get
        {
            if (_gradStale)
            {
                if (_gradShared) { _grad = Tensor.Zeros<T>(Shape.Dimensions); _gradShared = false; }
                else _grad!.AsSpan().Clear();
                _gradStale = false;
            }
            return _grad;
        }
        internal set { _grad = value; _gradStale = false; _gradShared = false; }
    }

    /// <summary>
    /// The leaf's gradient buffer as a first-order backward writes it: <paramref name="fresh"/> is true when its
    /// contents are dead (none yet, or after ZeroGrad) and the caller must overwrite every element; otherwise it adds.
    /// </summary>
    internal Span<T> LeafGradBuffer(out bool fresh)
    {
        fresh = _gradStale || _grad is null;
        if (_grad is null || _gradShared)
        {
            // A leaf's gradient lives as long as the leaf (a parameter's, for the whole training): aligned, like the parameter.
            var storage = AlignedStorage.AllocateUninitialized<T>(Length, out int offset);
            var g = new Tensor<T>(Shape, storage, offset, null, pooled: false);
            if (!fresh) _grad!.AsReadOnlySpan().CopyTo(g.AsSpan());
            _grad = g;
            _gradShared = false;
        }
        _gradStale = false;
        return _grad.AsSpan();
    }

    /// <summary>Accumulates a recorded gradient (a backward with createGraph): Grad becomes differentiable.</summary>
    internal void AccumulateRecordedGrad(Tensor<T> grad)
    {
        _grad = _grad is null || _gradStale ? grad : _grad.Add(grad);
        _gradStale = false;
        _gradShared = true;
    }

    internal string OpName => GradFn is null ? "a leaf" : GradFn.Freed ? $"{GradFn.Name} (graph freed)" : GradFn.Name;

    /// <summary>True if a <see cref="TensorScope"/> owns this tensor's storage (it was rented there, or it views such storage).</summary>
    internal bool IsScoped => _pooled || (_base is not null && _base._pooled);

    /// <summary>
    /// Cuts this op result from its graph (a tensor kept beyond its scope): it becomes a leaf without grad. A leaf keeps
    /// its RequiresGrad (a factory's tensor made with requiresGrad inside the scope).
    /// </summary>
    internal void LeaveGraph()
    {
        if (GradFn is null) return;
        GradFn = null;
        _requiresGrad = false;
    }

    internal void SetGradFn(Node<T> node)
    {
        GradFn = node;
        _requiresGrad = true;
    }

    /// <summary>The single element of a one-element tensor.</summary>
    public T Item()
    {
        if (Length != 1)
            throw new InvalidOperationException($"Item: tensor of shape {Shape} has {Length} elements; Item() needs exactly one.");
        return AsReadOnlySpan()[0];
    }

    /// <summary>Reads or writes one element (writing bypasses the tape: use it on data, not mid-graph).</summary>
    [IndexerName("Element")]
    public T this[params ReadOnlySpan<int> index]
    {
        get => AsReadOnlySpan()[FlatIndex(index)];
        set => AsSpan()[FlatIndex(index)] = value;
    }

    private int FlatIndex(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Tensor index: {index.Length} indices given for a tensor of rank {Rank} (shape {Shape}).");
        int flat = 0;
        var dims = Shape.Dimensions;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)dims[i])
                throw new IndexOutOfRangeException($"Tensor index: index {index[i]} is out of range for axis {i} of size {dims[i]} (shape {Shape}).");
            flat = flat * dims[i] + index[i];
        }
        return flat;
    }

    /// <summary>A copy of the elements in row-major order.</summary>
    public T[] ToArray() => AsReadOnlySpan().ToArray();

    /// <summary>A new leaf that shares this tensor's storage but is cut from the graph.</summary>
    public Tensor<T> Detach() => new(Shape, Storage, _offset, this, pooled: false);

    /// <summary>A deep copy as a new leaf.</summary>
    public Tensor<T> Clone()
    {
        var c = Tensor.Empty<T>(Shape);
        AsReadOnlySpan().CopyTo(c.AsSpan());
        return c;
    }

    /// <summary>
    /// Zeroes the accumulated gradient. The buffer is kept for the next step and is not cleared now: the next
    /// backward writes into it instead of adding (reading <see cref="Grad"/> before then gives zeros).
    /// Keep using <see cref="Grad"/> rather than an earlier reference to the gradient tensor.
    /// </summary>
    public void ZeroGrad() { if (_grad is not null) _gradStale = true; }

    /// <summary>
    /// Back-propagates from this tensor, adding d(this)/d(leaf) into the <see cref="Grad"/> of every leaf that requires
    /// grad. Only the graph this tensor reaches is visited, and it is freed afterwards unless <paramref name="retainGraph"/>
    /// (a second Backward through freed nodes throws <see cref="GraphFreedException"/>). A non-scalar tensor needs
    /// <paramref name="gradOutput"/>. With <paramref name="createGraph"/> the gradients are recorded too (each leaf's
    /// Grad is then differentiable), and the graph is retained.
    /// </summary>
    public void Backward(Tensor<T>? gradOutput = null, bool retainGraph = false, bool createGraph = false) =>
        BackwardPass<T>.Run(this, gradOutput, retainGraph, createGraph);

    /// <summary>Returns the storage to the thread's pool (if pooled) and makes this tensor unusable.</summary>
    public void Dispose()
    {
        var data = _data;
        if (data is null) return;
        _data = null;
        if (_pooled && _base is null) TensorPool<T>.Return(data);
    }

    // Dispose for a scope that keeps the storage for its next use: hands over the pooled array this tensor owned (null
    // for a view, caller-owned storage, or a tensor disposed already).
    internal T[]? ReleaseStorage(out int offset)
    {
        var data = _data;
        offset = _offset;
        if (data is null) return null;
        _data = null;
        return _pooled && _base is null ? data : null;
    }

    internal Tensor<T>? Base => _base;

    /// <summary>Wraps a new tensor with fresh storage for an op result: pooled inside a <see cref="TensorScope"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor<T> Uninitialized(Shape shape)
    {
        // Outside a scope the result is an ordinary GC array: pinned arrays are only reclaimed by full collections.
        var scope = TensorScope.Current;
        if (scope is null) return new Tensor<T>(shape, GC.AllocateUninitializedArray<T>(shape.Length), 0, null, pooled: false);
        var data = scope.Rent<T>(shape.Length, out int offset);
        var tensor = new Tensor<T>(shape, data, offset);
        scope.Add(tensor);
        return tensor;
    }

    /// <summary>A view of the same storage with another shape of equal length (no copy).</summary>
    internal Tensor<T> View(Shape shape) => new(shape, Storage, _offset, this, pooled: false);

    /// <summary>A view of rows [start, start+count) along the first axis (no copy).</summary>
    internal Tensor<T> ViewRows(int start, int count)
    {
        int row = Shape.Product(1, Rank);
        return new Tensor<T>(Shape.With(0, count), Storage, _offset + start * row, this, pooled: false);
    }

    /// <inheritdoc/>
    public override string ToString() => TensorFormatter.Format(this);
}
