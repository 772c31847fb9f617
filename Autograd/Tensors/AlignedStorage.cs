using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd;

/// <summary>
/// Arrays whose usable part starts on a 64-byte (cache-line, one AVX-512 vector) boundary and never moves. The GC
/// places ordinary arrays on any 8-byte boundary, which makes every vector load of a kernel that reads two streams
/// (a weight row and an input row) straddle two cache lines; measured on the GEMM's dot tiles, that alone changed a
/// layer's time by up to 20 % from one process to the next. Parameters, gradients and pooled buffers use this.
/// </summary>
internal static class AlignedStorage
{
    /// <summary>The alignment in bytes.</summary>
    public const int Alignment = 64;

    /// <summary>
    /// A zero-filled segment of <paramref name="length"/> elements starting on a 64-byte boundary, in an array on the
    /// pinned-object heap (padded by one cache line), so the alignment holds for the array's lifetime.
    /// </summary>
    public static ArraySegment<T> Allocate<T>(int length) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var array = GC.AllocateArray<T>(length + Padding<T>(), pinned: true);
        return new ArraySegment<T>(array, OffsetOf(array), length);
    }

    /// <summary>Like <see cref="Allocate{T}"/> without zeroing: for buffers that are written before they are read.</summary>
    internal static T[] AllocateUninitialized<T>(int length, out int offset) where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length + Padding<T>(), pinned: true);
        offset = OffsetOf(array);
        return array;
    }

    /// <summary>Elements of padding an aligned array carries beyond its usable length.</summary>
    internal static int Padding<T>() where T : unmanaged => Alignment / Unsafe.SizeOf<T>();

    /// <summary>The index of the first 64-byte-aligned element of a pinned array.</summary>
    internal static unsafe int OffsetOf<T>(T[] array) where T : unmanaged
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        int misalignment = (int)(address % Alignment);
        return misalignment == 0 ? 0 : (Alignment - misalignment) / Unsafe.SizeOf<T>();
    }
}
