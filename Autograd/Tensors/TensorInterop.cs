using SnTensor = System.Numerics.Tensors.Tensor;

// TensorSpan<T>, ReadOnlyTensorSpan<T> and Tensor<T> were [Experimental] (SYSLIB5001) in System.Numerics.Tensors 9;
// the pinned 10.0.0 ships them as stable API, so neither this file nor its callers need to suppress anything.

namespace Autograd;

public sealed partial class Tensor<T>
{
    /// <summary>
    /// A <see cref="System.Numerics.Tensors.TensorSpan{T}"/> over this tensor's elements (no copy): writes through it
    /// change this tensor, bypassing the tape. A rank-0 tensor appears as a one-element 1-D span.
    /// </summary>
    public TensorSpan<T> AsTensorSpan()
    {
        var storage = Storage;   // throws if disposed
        Span<nint> lengths = stackalloc nint[Math.Max(Rank, 1)];
        FillLengths(lengths);
        // An empty tensor's offset may sit at the end of its storage, which TensorSpan rejects; no element is shared anyway.
        return Length == 0 ? new TensorSpan<T>([], 0, lengths, []) : new TensorSpan<T>(storage, _offset, lengths, []);
    }

    /// <summary>A read-only <see cref="System.Numerics.Tensors.ReadOnlyTensorSpan{T}"/> over this tensor's elements (no copy).</summary>
    public ReadOnlyTensorSpan<T> AsReadOnlyTensorSpan() => AsTensorSpan();

    /// <summary>
    /// This tensor as a <see cref="System.Numerics.Tensors.Tensor{T}"/>. Zero-copy (both share and see each other's writes) when
    /// this tensor's storage array is exactly its data: offset 0, same length, and not pooled by a <see cref="TensorScope"/>
    /// (pooled storage is recycled when the scope ends, so sharing it would alias another tensor's later data).
    /// Otherwise (a row slice of a larger array, or scope-pooled storage) the elements are copied.
    /// A rank-0 tensor becomes a one-element 1-D tensor.
    /// </summary>
    public System.Numerics.Tensors.Tensor<T> ToSystemTensor()
    {
        var storage = Storage;
        bool shared = _offset == 0 && storage.Length == Length && !IsPooled;
        Span<nint> lengths = stackalloc nint[Math.Max(Rank, 1)];
        FillLengths(lengths);
        return SnTensor.Create(shared ? storage : ToArray(), lengths);
    }

    /// <summary>True if the storage was rented from the thread's pool (its owner, or the tensor it views, belongs to a scope).</summary>
    internal bool IsPooled => _pooled || (_base is not null && _base._pooled);

    // System.Numerics.Tensors has no rank 0: a scalar is presented as [1].
    private void FillLengths(Span<nint> lengths)
    {
        if (Rank == 0) { lengths[0] = 1; return; }
        var dims = Shape.Dimensions;
        for (int i = 0; i < dims.Length; i++) lengths[i] = dims[i];
    }
}

public static partial class Tensor
{
    /// <summary>
    /// A new leaf holding a copy of <paramref name="source"/> (row-major, whatever its strides).
    /// </summary>
    public static Tensor<T> FromSystemTensor<T>(System.Numerics.Tensors.Tensor<T> source, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        return FromTensorSpan(source.AsReadOnlyTensorSpan(), requiresGrad);
    }

    /// <summary>
    /// A new leaf holding a copy of <paramref name="source"/>'s elements in row-major order of its lengths. Strided, non-dense
    /// spans (transposed, sliced, broadcast with stride 0) are read element by element through their strides.
    /// </summary>
    public static Tensor<T> FromTensorSpan<T>(ReadOnlyTensorSpan<T> source, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lengths = source.Lengths;
        if (lengths.Length > Shape.MaxRank)
            throw new ArgumentException($"FromTensorSpan: rank {lengths.Length} exceeds the maximum rank {Shape.MaxRank}.", nameof(source));
        Span<int> dims = stackalloc int[lengths.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (lengths[i] > int.MaxValue)
                throw new ArgumentException($"FromTensorSpan: dimension {i} has {lengths[i]} elements, more than a tensor axis can hold.", nameof(source));
            dims[i] = (int)lengths[i];
        }
        var shape = new Shape(dims);
        var result = Leaf(Tensor<T>.Uninitialized(shape), requiresGrad);
        if (shape.Length == 0) return result;
        if (IsRowMajor(lengths, source.Strides)) source.FlattenTo(result.AsSpan());
        else CopyStrided(source, result.AsSpan());
        return result;
    }

    // Dense in our exact layout (a dimension of size 1 may carry any stride): FlattenTo is a straight block copy.
    private static bool IsRowMajor(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides)
    {
        nint expected = 1;
        for (int i = lengths.Length - 1; i >= 0; i--)
        {
            if (lengths[i] != 1 && strides[i] != expected) return false;
            expected *= lengths[i];
        }
        return true;
    }

    // Walks the index space in row-major order (an odometer over the lengths), reading each element through the strides.
    private static void CopyStrided<T>(ReadOnlyTensorSpan<T> source, Span<T> destination)
    {
        var lengths = source.Lengths;
        Span<nint> index = stackalloc nint[lengths.Length];
        index.Clear();
        for (int flat = 0; flat < destination.Length; flat++)
        {
            destination[flat] = source[index];
            for (int axis = lengths.Length - 1; axis >= 0; axis--)
            {
                if (++index[axis] < lengths[axis]) break;
                index[axis] = 0;
            }
        }
    }
}
