using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd.Nn.Data;

/// <summary>
/// Turns one row of pixel bytes into features in a single pass: <c>x[j] = (b[j] / divisor − shift[j]) · inverseScale[j]</c>,
/// operation by operation in that order and each rounded once (no fused multiply-add). Every value is therefore the
/// same float or double as dividing the byte first, then subtracting the mean and multiplying by 1/std in separate
/// passes over a float copy. A stage that is not wanted is its identity (divisor 1, shift 0, scale 1), which is
/// exact for the non-negative finite values a byte gives, so one branch-free kernel serves every mode.
/// </summary>
internal static class PixelConversion
{
    /// <summary>Converts <paramref name="pixels"/> into <paramref name="features"/> (all four spans of one length).</summary>
    public static void Convert<T>(ReadOnlySpan<byte> pixels, Span<T> features, T divisor, ReadOnlySpan<T> shift, ReadOnlySpan<T> inverseScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (features.Length != pixels.Length || shift.Length != pixels.Length || inverseScale.Length != pixels.Length)
            ThrowLengths(pixels.Length, features.Length, shift.Length, inverseScale.Length);
        if (typeof(T) == typeof(float))
            ConvertVectorized<float, ToSingle>(pixels, MemoryMarshal.Cast<T, float>(features), float.CreateTruncating(divisor),
                MemoryMarshal.Cast<T, float>(shift), MemoryMarshal.Cast<T, float>(inverseScale));
        else if (typeof(T) == typeof(double))
            ConvertVectorized<double, ToDouble>(pixels, MemoryMarshal.Cast<T, double>(features), double.CreateTruncating(divisor),
                MemoryMarshal.Cast<T, double>(shift), MemoryMarshal.Cast<T, double>(inverseScale));
        else
            ConvertScalar(pixels, features, divisor, shift, inverseScale);
    }

    private static void ConvertVectorized<T, TWiden>(ReadOnlySpan<byte> pixels, Span<T> features, T divisor, ReadOnlySpan<T> shift, ReadOnlySpan<T> inverseScale)
        where T : unmanaged, IFloatingPointIeee754<T> where TWiden : IWiden<T>
    {
        ref byte src = ref MemoryMarshal.GetReference(pixels);
        var map = new Map<T>(features, divisor, shift, inverseScale);
        nuint n = (nuint)pixels.Length;
        // A block of bytes widens to four quarters of 32-bit integers, each stored as features. The last block may overlap
        // the one before it: it rewrites the same values, which is cheaper than a scalar tail (a 28×28 row is 12 blocks
        // of 64 and 16 bytes).
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<byte>.Count)
        {
            for (nuint i = 0; ; i += (nuint)Vector512<byte>.Count)
            {
                if (i + (nuint)Vector512<byte>.Count > n) i = n - (nuint)Vector512<byte>.Count;
                var (low, high) = Vector512.Widen(Vector512.LoadUnsafe(ref src, i));
                var (q0, q1) = Vector512.Widen(low);
                var (q2, q3) = Vector512.Widen(high);
                TWiden.Store(map, q0, i);
                TWiden.Store(map, q1, i + 16);
                TWiden.Store(map, q2, i + 32);
                TWiden.Store(map, q3, i + 48);
                if (i + (nuint)Vector512<byte>.Count == n) return;
            }
        }
        if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<byte>.Count)
        {
            for (nuint i = 0; ; i += (nuint)Vector256<byte>.Count)
            {
                if (i + (nuint)Vector256<byte>.Count > n) i = n - (nuint)Vector256<byte>.Count;
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref src, i));
                var (q0, q1) = Vector256.Widen(low);
                var (q2, q3) = Vector256.Widen(high);
                TWiden.Store(map, q0, i);
                TWiden.Store(map, q1, i + 8);
                TWiden.Store(map, q2, i + 16);
                TWiden.Store(map, q3, i + 24);
                if (i + (nuint)Vector256<byte>.Count == n) return;
            }
        }
        ConvertScalar(pixels, features, divisor, shift, inverseScale);
    }

    /// <summary>Stores pixel values widened to 32-bit integers as features of type T, through the map.</summary>
    private interface IWiden<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract void Store(in Map<T> map, Vector512<uint> values, nuint at);
        static abstract void Store(in Map<T> map, Vector256<uint> values, nuint at);
    }

    /// <summary>16 (or 8) integers are one vector of floats.</summary>
    private readonly struct ToSingle : IWiden<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(in Map<float> map, Vector512<uint> values, nuint at) => map.Store(Vector512.ConvertToSingle(values.AsInt32()), at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(in Map<float> map, Vector256<uint> values, nuint at) => map.Store(Vector256.ConvertToSingle(values.AsInt32()), at);
    }

    /// <summary>16 (or 8) integers are two vectors of doubles.</summary>
    private readonly struct ToDouble : IWiden<double>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(in Map<double> map, Vector512<uint> values, nuint at)
        {
            var (low, high) = Vector512.Widen(values);
            map.Store(Vector512.ConvertToDouble(low.AsInt64()), at);
            map.Store(Vector512.ConvertToDouble(high.AsInt64()), at + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(in Map<double> map, Vector256<uint> values, nuint at)
        {
            var (low, high) = Vector256.Widen(values);
            map.Store(Vector256.ConvertToDouble(low.AsInt64()), at);
            map.Store(Vector256.ConvertToDouble(high.AsInt64()), at + 4);
        }
    }

    private static void ConvertScalar<T>(ReadOnlySpan<byte> pixels, Span<T> features, T divisor, ReadOnlySpan<T> shift, ReadOnlySpan<T> inverseScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < pixels.Length; j++)
            features[j] = (T.CreateTruncating(pixels[j]) / divisor - shift[j]) * inverseScale[j];
    }

    /// <summary>The divide, subtract, multiply stage, writing at a feature offset; a ref struct over the row's spans.</summary>
    private readonly ref struct Map<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ref T _features, _shift, _inverseScale;
        private readonly T _divisor;

        public Map(Span<T> features, T divisor, ReadOnlySpan<T> shift, ReadOnlySpan<T> inverseScale)
        {
            _features = ref MemoryMarshal.GetReference(features);
            _shift = ref MemoryMarshal.GetReference(shift);
            _inverseScale = ref MemoryMarshal.GetReference(inverseScale);
            _divisor = divisor;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Vector512<T> values, nuint at) =>
            ((values / Vector512.Create(_divisor) - Vector512.LoadUnsafe(ref _shift, at)) * Vector512.LoadUnsafe(ref _inverseScale, at))
                .StoreUnsafe(ref _features, at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Vector256<T> values, nuint at) =>
            ((values / Vector256.Create(_divisor) - Vector256.LoadUnsafe(ref _shift, at)) * Vector256.LoadUnsafe(ref _inverseScale, at))
                .StoreUnsafe(ref _features, at);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengths(int pixels, int features, int shift, int inverseScale) =>
        throw new ArgumentException($"PixelConversion: {pixels} pixels, {features} features, {shift} shifts and {inverseScale} scales must be equally many.");
}
