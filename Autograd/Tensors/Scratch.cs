namespace Autograd;

/// <summary>A temporary buffer rented from the thread's pool for the duration of a using block.</summary>
internal readonly ref struct Scratch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _array;
    private readonly int _offset, _length;

    private Scratch(T[] array, int offset, int length) { _array = array; _offset = offset; _length = length; }

    public static Scratch<T> Rent(int length) => new(TensorPool<T>.Rent(length, out int offset), offset, length);

    public Span<T> Span => _array.AsSpan(_offset, _length);

    /// <summary>Gives the buffer back (a default, never-rented Scratch has none).</summary>
    public void Dispose() { if (_array is not null) TensorPool<T>.Return(_array); }
}
