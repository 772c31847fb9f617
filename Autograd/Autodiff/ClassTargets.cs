using System.Buffers;

namespace Autograd;

/// <summary>
/// A recorded op's own copy of integer class targets, in an array from the shared pool: the caller may reuse or change
/// its array after the forward pass without changing the gradient.
/// </summary>
internal struct ClassTargets
{
    private int[]? _array;
    private int _count;

    public static ClassTargets Copy(int[] targets)
    {
        var array = ArrayPool<int>.Shared.Rent(targets.Length);
        targets.CopyTo(array, 0);
        return new ClassTargets { _array = array, _count = targets.Length };
    }

    public readonly ReadOnlySpan<int> Span => _array.AsSpan(0, _count);

    /// <summary>Adds <paramref name="value"/> at [i, target i] of a row-major [count, classes] buffer.</summary>
    public readonly void AddOneHot<T>(Span<T> rows, int classes, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var targets = Span;
        for (int i = 0; i < targets.Length; i++) rows[i * classes + targets[i]] += value;
    }

    /// <summary>Gives the array back to the pool (once; the targets are gone afterwards).</summary>
    public void Return()
    {
        if (_array is { } a) ArrayPool<int>.Shared.Return(a);
        _array = null;
        _count = 0;
    }
}
