using System.Buffers;

namespace Autograd;

/// <summary>
/// Integer indices a recorded op keeps for its backward (Gather's index, IndexSelect's list, where each max-pooling
/// window's maximum was), in an array from the shared pool: a copy of the caller's, so changing or reusing that array
/// after the forward pass cannot change the gradient. Given back when the graph is freed.
/// </summary>
internal struct SavedIndices
{
    private int[]? _array;
    private int _count;

    /// <summary>A pooled copy of <paramref name="indices"/>.</summary>
    public static SavedIndices Copy(ReadOnlySpan<int> indices)
    {
        var saved = Rent(indices.Length);
        indices.CopyTo(saved._array);
        return saved;
    }

    /// <summary>A pooled array of <paramref name="count"/> indices for the op to fill (through <see cref="Writable"/>).</summary>
    public static SavedIndices Rent(int count) => new() { _array = ArrayPool<int>.Shared.Rent(count), _count = count };

    public readonly ReadOnlySpan<int> Span => _array.AsSpan(0, _count);

    public readonly Span<int> Writable => _array.AsSpan(0, _count);

    /// <summary>Gives the array back to the pool (once; the indices are gone afterwards).</summary>
    public void Return()
    {
        if (_array is { } a) ArrayPool<int>.Shared.Return(a);
        _array = null;
        _count = 0;
    }
}
