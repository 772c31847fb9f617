namespace Autograd;

/// <summary>
/// A recorded op's own copy of integer class targets: the caller may reuse or change its array after the forward
/// pass without changing the gradient. The copy lives in the node, so a node reused by the next step of a
/// <see cref="TensorScope"/> reuses its array too.
/// </summary>
internal struct ClassTargets
{
    private int[]? _array;
    private int _count;

    /// <summary>Copies <paramref name="targets"/> (into the array of an earlier copy when it is large enough).</summary>
    public void CopyFrom(int[] targets)
    {
        if (_array is null || _array.Length < targets.Length) _array = new int[targets.Length];
        targets.CopyTo(_array, 0);
        _count = targets.Length;
    }

    public readonly ReadOnlySpan<int> Span => _array.AsSpan(0, _count);

    /// <summary>Adds <paramref name="value"/> at [i, target i] of a row-major [count, classes] buffer.</summary>
    public readonly void AddOneHot<T>(Span<T> rows, int classes, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var targets = Span;
        for (int i = 0; i < targets.Length; i++) rows[i * classes + targets[i]] += value;
    }
}
