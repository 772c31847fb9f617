namespace Autograd;

/// <summary>
/// A recorded op's own copy of integer class targets (in a pooled array, see <see cref="SavedIndices"/>): the caller may
/// reuse or change its array after the forward pass without changing the gradient.
/// </summary>
internal struct ClassTargets
{
    private SavedIndices _targets;

    public static ClassTargets Copy(int[] targets) => new() { _targets = SavedIndices.Copy(targets) };

    public readonly ReadOnlySpan<int> Span => _targets.Span;

    /// <summary>Adds <paramref name="value"/> at [i, target i] of a row-major [count, classes] buffer.</summary>
    public readonly void AddOneHot<T>(Span<T> rows, int classes, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var targets = Span;
        for (int i = 0; i < targets.Length; i++) rows[i * classes + targets[i]] += value;
    }

    /// <summary>Gives the array back to the pool (once; the targets are gone afterwards).</summary>
    public void Return() => _targets.Return();
}
