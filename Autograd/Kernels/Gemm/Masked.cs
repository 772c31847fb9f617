using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// AVX-512 masked loads and stores for the ragged end of a row: lanes outside the mask are neither read nor written
/// (the hardware suppresses their faults), so a row ending at the end of a buffer needs no scalar tail loop.
/// Callers only use these on the <see cref="GemmIsa.Avx512"/> path.
/// </summary>
internal static unsafe class Masked
{
    /// <summary>A mask selecting the first <paramref name="count"/> lanes (0 ≤ count ≤ lane count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FirstLanes<T>(int count) where T : unmanaged
    {
        if (sizeof(T) == 4) return Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).As<int, T>();
        return Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).As<long, T>();
    }

    /// <summary>The masked lanes of <paramref name="p"/>, zero elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load<T>(T* p, Vector512<T> mask) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Writes the masked lanes of <paramref name="v"/> to <paramref name="p"/>; the rest of memory is untouched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(T* p, Vector512<T> mask, Vector512<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Avx512F.MaskStore((float*)p, mask.AsSingle(), v.AsSingle());
        else if (typeof(T) == typeof(double)) Avx512F.MaskStore((double*)p, mask.AsDouble(), v.AsDouble());
        else throw new NotSupportedException(typeof(T).Name);
    }
}

/// <summary>
/// A vector loop over [0, length) laid out so that the whole vectors of the row at <c>anchor</c> start on cache-line
/// boundaries: a masked first vector (at a negative offset, its in-range lanes being the elements before the first
/// boundary), whole aligned vectors, and a masked last vector. Tensor storage is only 8- or 16-byte aligned, and a
/// 64-byte load that straddles two lines halves the bandwidth of a stream from L2, so the streamed operand is the anchor.
/// Iterate <c>for (p = Start; p &lt; End; p += Count)</c>: <see cref="IsWhole"/> vectors load plainly, others with <see cref="MaskAt"/>.
/// </summary>
internal readonly unsafe struct AlignedRange<T> where T : unmanaged
{
    public readonly int Start, End, BodyStart, BodyEnd;
    public readonly Vector512<T> HeadMask, TailMask;

    public AlignedRange(int length, T* anchor)
    {
        int v = Vector512<T>.Count;
        int head = (int)Math.Min(length, ((-(nint)anchor) & 63) / sizeof(T));
        BodyStart = head;
        BodyEnd = head + (length - head) / v * v;
        HeadMask = ~Masked.FirstLanes<T>(v - head); // the last `head` lanes of the vector at head − v
        TailMask = Masked.FirstLanes<T>(length - BodyEnd);
        Start = head > 0 ? head - v : 0;
        End = length > BodyEnd ? BodyEnd + v : BodyEnd;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsWhole(int p) => (uint)(p - BodyStart) < (uint)(BodyEnd - BodyStart);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> MaskAt(int p) => p < BodyStart ? HeadMask : TailMask;
}

