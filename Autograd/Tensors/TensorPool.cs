using System.Numerics;

namespace Autograd;

/// <summary>
/// Per-thread free lists of arrays keyed by exact length. A training step repeats the same shapes,
/// so step N+1 rents exactly the arrays step N returned and the steady state allocates nothing.
/// The arrays are pinned and padded (<see cref="AlignedStorage"/>): the usable part starts at the returned offset,
/// on a 64-byte boundary.
/// </summary>
internal static class TensorPool<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static Dictionary<int, Stack<T[]>>? _free;

    /// <summary>Largest number of idle arrays kept per length, so a one-off burst does not pin memory forever.</summary>
    private const int MaxIdlePerLength = 64;

    /// <summary>An array with room for <paramref name="length"/> elements from <paramref name="offset"/> on (contents undefined).</summary>
    public static T[] Rent(int length, out int offset)
    {
        if (_free is not null && _free.TryGetValue(length + AlignedStorage.Padding<T>(), out var stack) && stack.TryPop(out var array))
        {
            offset = AlignedStorage.OffsetOf(array);
            return array;
        }
        return AlignedStorage.AllocateUninitialized<T>(length, out offset);
    }

    /// <summary>Takes back an array that <see cref="Rent"/> handed out.</summary>
    public static void Return(T[] array)
    {
        _free ??= new Dictionary<int, Stack<T[]>>();
        if (!_free.TryGetValue(array.Length, out var stack))
            _free[array.Length] = stack = new Stack<T[]>();
        if (stack.Count < MaxIdlePerLength) stack.Push(array);
    }

    /// <summary>Drops every idle array of this thread (lets the GC reclaim them).</summary>
    public static void Trim() => _free?.Clear();
}
