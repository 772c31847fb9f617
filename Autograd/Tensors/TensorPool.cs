using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// Per-thread free lists of arrays keyed by exact length. A training step repeats the same shapes,
/// so step N+1 rents exactly the arrays step N returned and the steady state allocates nothing.
/// The arrays are pinned and padded (<see cref="AlignedStorage"/>): the usable part starts at the returned offset,
/// on a 64-byte boundary.
/// </summary>
internal static class TensorPool<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Largest number of idle arrays kept per length, so a one-off burst does not pin memory forever.</summary>
    private const int MaxIdlePerLength = 64;

    /// <summary>An array with room for <paramref name="length"/> elements from <paramref name="offset"/> on (contents undefined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T[] Rent(int length, out int offset) => ThreadPool.Rent(length, out offset);

    /// <summary>Takes back an array that <see cref="Rent"/> handed out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Return(T[] array) => ThreadPool.Return(array);

    /// <summary>Drops every idle array of this thread, the ones its scopes hold for their next use included (lets the GC reclaim them).</summary>
    public static void Trim()
    {
        ThreadPool.Clear();
        TensorScope.DropSpares();
    }

    [ThreadStatic] private static FreeLists? _other;   // element types other than float and double only

    /// <summary>The calling thread's free lists.</summary>
    public static FreeLists ThreadPool
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ThreadState.PoolOf<T>() ?? (_other ??= new FreeLists());
    }

    /// <summary>
    /// The idle arrays of one length. Slots are structs: storing an array into an element of a T[][] (or of a
    /// Stack&lt;T[]&gt;) goes through the runtime's covariant-store check on every push; a struct field store does not.
    /// </summary>
    internal sealed class FreeStack
    {
        private struct Slot { public T[]? Array; }

        private readonly Slot[] _items = new Slot[MaxIdlePerLength];
        private int _count;

        public bool TryPop([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T[] array)
        {
            if (_count == 0) { array = null; return false; }
            ref var slot = ref _items[--_count];
            array = slot.Array!;
            slot.Array = null;
            return true;
        }

        /// <summary>Keeps <paramref name="array"/> unless <see cref="MaxIdlePerLength"/> arrays of its length are idle already.</summary>
        public void TryPush(T[] array)
        {
            if (_count < _items.Length) _items[_count++].Array = array;
        }
    }

    /// <summary>
    /// Free lists by array length: a direct-mapped table in front of a dictionary. A step rents and returns a few
    /// lengths hundreds of times; the table answers those in a multiply and a compare instead of a hash look-up.
    /// </summary>
    internal sealed class FreeLists
    {
        /// <summary>The thread's idle backward pass (a BackwardPass of T), kept here with the thread's pool.</summary>
        internal object? IdlePass;

        private const int SlotBits = 6;
        private readonly int[] _lengths = new int[1 << SlotBits];
        private readonly FreeStack?[] _stacks = new FreeStack?[1 << SlotBits];
        private readonly Dictionary<int, FreeStack> _collisions = new();

        /// <summary>An idle array with room for <paramref name="length"/> elements from <paramref name="offset"/> on, or a new one.</summary>
        public T[] Rent(int length, out int offset)
        {
            if (Find(length + AlignedStorage.Padding<T>(), create: false) is { } stack && stack.TryPop(out var array))
            {
                offset = AlignedStorage.OffsetOf(array);   // the array is pinned: this is the offset it got at allocation
                return array;
            }
            return AlignedStorage.AllocateUninitialized<T>(length, out offset);
        }

        /// <summary>Keeps <paramref name="array"/> for the next <see cref="Rent"/> of its length.</summary>
        public void Return(T[] array) => Find(array.Length, create: true)!.TryPush(array);

        /// <summary>Forgets every idle array (the object stays: tapes hold on to their thread's free lists).</summary>
        public void Clear()
        {
            Array.Clear(_lengths);
            Array.Clear(_stacks);
            _collisions.Clear();
        }

        // The table's hit inline (Rent and Return run it hundreds of times a step); a miss, the first use of a length
        // or a collision, out of line.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public FreeStack? Find(int length, bool create)
        {
            int slot = (int)((uint)length * 2654435769u >> (32 - SlotBits));   // Fibonacci hashing
            var stack = _stacks[slot];
            if (stack is not null && _lengths[slot] == length) return stack;
            return FindOrAdd(length, slot, create);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private FreeStack? FindOrAdd(int length, int slot, bool create)
        {
            var stack = _stacks[slot];
            if (stack is null)
            {
                if (!create) return null;
                _lengths[slot] = length;
                return _stacks[slot] = new FreeStack();
            }
            if (_collisions.TryGetValue(length, out stack) || !create) return stack;
            return _collisions[length] = new FreeStack();
        }
    }
}
