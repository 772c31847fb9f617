using System.Globalization;

namespace Autograd;

/// <summary>
/// A seeded xoshiro256** generator: the same seed yields the same numbers on every machine, runtime and run
/// (unlike <see cref="Random"/>, whose algorithm may change between .NET versions). Not thread-safe.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator whose whole stream is determined by <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        // SplitMix64 spreads any seed (even 0) over the 256-bit state, as the xoshiro authors recommend.
        _s0 = SplitMix(ref seed); _s1 = SplitMix(ref seed); _s2 = SplitMix(ref seed); _s3 = SplitMix(ref seed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The generator's position as text, for checkpoints: <c>xoshiro256** </c> and the four state words in hex, then the
    /// bits of the cached second normal sample when one is held. <see cref="RestoreState"/> continues exactly from here.
    /// </summary>
    public string SaveState()
    {
        var words = string.Create(CultureInfo.InvariantCulture, $"{StatePrefix}{_s0:x16} {_s1:x16} {_s2:x16} {_s3:x16}");
        return _spareNormal is double spare ? string.Create(CultureInfo.InvariantCulture, $"{words} {BitConverter.DoubleToUInt64Bits(spare):x16}") : words;
    }

    /// <summary>Puts the generator where <paramref name="state"/> (from <see cref="SaveState"/>) says; bad text throws and changes nothing.</summary>
    public void RestoreState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var fields = state.StartsWith(StatePrefix, StringComparison.Ordinal) ? state[StatePrefix.Length..].Split(' ') : [];
        Span<ulong> values = stackalloc ulong[5];
        bool valid = fields.Length is 4 or 5;
        for (int i = 0; valid && i < fields.Length; i++)
            valid = fields[i].Length == 16 && ulong.TryParse(fields[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out values[i]);
        if (!valid)
            throw new ArgumentException($"Rng.RestoreState: '{state}' is not a saved state ('{StatePrefix}' and 4 or 5 hex words of 16 digits).", nameof(state));
        if ((values[0] | values[1] | values[2] | values[3]) == 0)
            throw new ArgumentException("Rng.RestoreState: an all-zero xoshiro256** state would only ever produce zeros.", nameof(state));
        (_s0, _s1, _s2, _s3) = (values[0], values[1], values[2], values[3]);
        _spareNormal = fields.Length == 5 ? BitConverter.UInt64BitsToDouble(values[4]) : null;
    }

    private const string StatePrefix = "xoshiro256** ";

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"Rng.NextInt: bound {maxExclusive} must be positive.");
        ulong bound = (ulong)maxExclusive, threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold) return (int)(m >> 64);
        }
    }

    /// <summary>A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double spare) { _spareNormal = null; return spare; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();   // u1 in (0, 1]: log is finite
        double r = Math.Sqrt(-2.0 * Math.Log(u1)), theta = 2.0 * Math.PI * u2;
        _spareNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<TItem>(Span<TItem> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Fills <paramref name="destination"/> uniformly in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void FillUniform<T>(Span<T> destination, double low, double high) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double width = high - low;
        T lo = T.CreateChecked(low), hi = T.CreateChecked(high);
        for (int i = 0; i < destination.Length; i++)
        {
            var v = T.CreateChecked(low + width * NextDouble());
            // Rounding to float32 can land exactly on `high`; keep the interval half-open.
            destination[i] = v >= hi && hi > lo ? T.BitDecrement(hi) : v;
        }
    }

    /// <summary>Fills <paramref name="destination"/> from N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public void FillNormal<T>(Span<T> destination, double mean, double std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(mean + std * NextNormal());
    }
}
