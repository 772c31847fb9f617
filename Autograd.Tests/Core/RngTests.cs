namespace Autograd.Tests.Core;

/// <summary>
/// The seeded generator against the reference algorithms (SplitMix64 seeding, xoshiro256** by Blackman and Vigna),
/// and the statistics of the random tensor factories.
/// </summary>
public class RngTests
{
    // Printed by the authors' reference C code (splitmix64.c seeding xoshiro256starstar.c, compiled with gcc), not by Rng.
    private static readonly ulong[] Seed0 =
        [0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL, 0x6AA594F1262D2D2CUL, 0xBBA5AD4A1F842E59UL, 0xFFEF8375D9EBCACAUL];
    private static readonly ulong[] Seed42 =
        [0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL, 0xECB8AD4703B360A1UL, 0xFDE6DC7FE2EC5E64UL, 0xC50DA53101795238UL];
    // The same C code from the state {1, 2, 3, 4}: checks the transcription below on its own.
    private static readonly ulong[] State1234 =
        [0x0000000000002D00UL, 0x0000000000000000UL, 0x000000005A007080UL, 0x10E0000000009D80UL, 0x10E0B61CE1009D80UL, 0x0870021CE143AD00UL];

    /// <summary>The reference C algorithms, transcribed line by line and independent of <see cref="Rng"/>.</summary>
    private sealed class Reference
    {
        private readonly ulong[] _s = new ulong[4];

        public Reference(params ulong[] state) => state.CopyTo(_s, 0);

        public static Reference Seeded(ulong x)
        {
            ulong SplitMixNext()
            {
                ulong z = x += 0x9e3779b97f4a7c15;
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
                z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
                return z ^ (z >> 31);
            }
            return new Reference(SplitMixNext(), SplitMixNext(), SplitMixNext(), SplitMixNext());
        }

        private static ulong Rotl(ulong x, int k) => (x << k) | (x >> (64 - k));

        public ulong Next()
        {
            ulong result = Rotl(_s[1] * 5, 7) * 9;
            ulong t = _s[1] << 17;
            _s[2] ^= _s[0];
            _s[3] ^= _s[1];
            _s[1] ^= _s[2];
            _s[0] ^= _s[3];
            _s[2] ^= t;
            _s[3] = Rotl(_s[3], 45);
            return result;
        }
    }

    [Test]
    public void TranscribedReferenceMatchesTheCOutput()
    {
        var r = new Reference(1, 2, 3, 4);
        Assert.That(Enumerable.Range(0, 6).Select(_ => r.Next()), Is.EqualTo(State1234));
    }

    [TestCase(0UL)]
    [TestCase(42UL)]
    public void FirstOutputsAreTheReferenceKnownAnswers(ulong seed)
    {
        var rng = new Rng(seed);
        var expected = seed == 0 ? Seed0 : Seed42;
        Assert.That(Enumerable.Range(0, 6).Select(_ => rng.NextUInt64()), Is.EqualTo(expected));
    }

    [TestCase(1UL)]
    [TestCase(0xDEADBEEFUL)]
    [TestCase(ulong.MaxValue)]
    public void LongStreamMatchesTheReference(ulong seed)
    {
        var rng = new Rng(seed);
        var reference = Reference.Seeded(seed);
        for (int i = 0; i < 10_000; i++)
            if (rng.NextUInt64() != reference.Next()) Assert.Fail($"seed {seed}: output {i} differs from the reference");
    }

    [Test]
    public void NextDoubleUsesTheTop53Bits()
    {
        var rng = new Rng(7);
        var reference = Reference.Seeded(7);
        for (int i = 0; i < 1000; i++)
        {
            double d = rng.NextDouble();
            Assert.That(d, Is.EqualTo((reference.Next() >> 11) * Math.Pow(2, -53)));
            Assert.That(d, Is.GreaterThanOrEqualTo(0.0).And.LessThan(1.0));
        }
    }

    [Test]
    public void NextIntStaysInRangeAndHitsEveryValue()
    {
        var rng = new Rng(3);
        var counts = new int[7];
        for (int i = 0; i < 7000; i++) counts[rng.NextInt(7)]++;
        // Expected 1000 each; binomial σ ≈ 29, so ±150 is over 5σ.
        Assert.That(counts, Is.All.InRange(850, 1150));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Test]
    public void ShuffleIsAPermutationAndSeeded()
    {
        int[] a = Enumerable.Range(0, 50).ToArray(), b = (int[])a.Clone();
        new Rng(9).Shuffle<int>(a);
        new Rng(9).Shuffle<int>(b);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(a.Order(), Is.EqualTo(Enumerable.Range(0, 50)));
    }

    // ---- random tensors

    [Test]
    public void SameSeedSameTensorsDifferentSeedDifferent()
    {
        var shape = new Shape(10, 10);
        Assert.That(Tensor.Uniform<double>(shape, -1, 1, new Rng(5)).ToArray(), Is.EqualTo(Tensor.Uniform<double>(shape, -1, 1, new Rng(5)).ToArray()));
        Assert.That(Tensor.Normal<float>(shape, 0, 1, new Rng(5)).ToArray(), Is.EqualTo(Tensor.Normal<float>(shape, 0, 1, new Rng(5)).ToArray()));
        Assert.That(Tensor.Uniform<double>(shape, -1, 1, new Rng(6)).ToArray(), Is.Not.EqualTo(Tensor.Uniform<double>(shape, -1, 1, new Rng(5)).ToArray()));
        Assert.That(Tensor.Normal<double>(shape, 0, 1, new Rng(6)).ToArray(), Is.Not.EqualTo(Tensor.Normal<double>(shape, 0, 1, new Rng(5)).ToArray()));
    }

    // n = 200 000 samples. The standard error of the mean is σ/√n and of the standard deviation about σ/√(2n);
    // the tolerances are 5 standard errors, so a correct generator fails with probability below 1e-6.
    private const int N = 200_000;

    [Test]
    public void UniformHasTheRightRangeMeanAndSpread()
    {
        double low = -2, high = 3;
        var v = Tensor.Uniform<double>(new Shape(N), low, high, new Rng(11)).ToArray();
        double sigma = (high - low) / Math.Sqrt(12);
        Assert.That(v, Is.All.GreaterThanOrEqualTo(low).And.All.LessThan(high));
        Assert.That(v.Average(), Is.EqualTo((low + high) / 2).Within(5 * sigma / Math.Sqrt(N)));
        Assert.That(StdDev(v), Is.EqualTo(sigma).Within(5 * sigma / Math.Sqrt(2.0 * N)));
    }

    [Test]
    public void NormalHasTheRightMeanAndSpread()
    {
        double mean = 1.5, std = 0.5;
        var v = Tensor.Normal<double>(new Shape(N), mean, std, new Rng(12)).ToArray();
        Assert.That(v.Average(), Is.EqualTo(mean).Within(5 * std / Math.Sqrt(N)));
        Assert.That(StdDev(v), Is.EqualTo(std).Within(5 * std / Math.Sqrt(2.0 * N)));
        // About 68.27% within one σ; binomial σ of that fraction is √(p(1−p)/n) ≈ 0.001.
        double inside = v.Count(x => Math.Abs(x - mean) < std) / (double)N;
        Assert.That(inside, Is.EqualTo(0.6827).Within(0.005));
    }

    [Test]
    public void Float32UniformNeverReturnsTheUpperBound()
    {
        // Around 1e8 float32 values are 8 apart, so low + 8u rounds up to `high` for u ≥ 0.5 unless guarded.
        var v = Tensor.Uniform<float>(new Shape(200), 1e8, 1e8 + 8, new Rng(13)).ToArray();
        Assert.That(v, Is.All.EqualTo(1e8f));
    }

    [Test]
    public void RandomFactoriesRejectBadParameters()
    {
        Assert.Throws<ArgumentException>(() => Tensor.Uniform<double>(new Shape(2), 1, 0, new Rng(1)));
        Assert.Throws<ArgumentException>(() => Tensor.Normal<double>(new Shape(2), 0, -1, new Rng(1)));
        Assert.Throws<ArgumentException>(() => Tensor.Normal<double>(new Shape(2), 0, double.NaN, new Rng(1)));
    }

    [Test]
    public void ASavedStateContinuesTheStreamExactly()
    {
        var rng = new Rng(5);
        for (int i = 0; i < 3; i++) rng.NextUInt64();
        rng.NextNormal();   // leaves the second value of the pair cached: the state must carry it
        string state = rng.SaveState();
        var expected = new[] { rng.NextNormal(), rng.NextDouble(), rng.NextNormal() };

        var other = new Rng(99);
        other.RestoreState(state);
        Assert.That(new[] { other.NextNormal(), other.NextDouble(), other.NextNormal() }, Is.EqualTo(expected));
        Assert.That(state, Does.Match("^xoshiro256\\*\\* ([0-9a-f]{16} ){4}[0-9a-f]{16}$"));
        Assert.That(new Rng(5).SaveState(), Does.Match("^xoshiro256\\*\\* [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16}$"), "no cached normal: four words");
    }

    [TestCase("")]
    [TestCase("xoshiro256** 1 2 3 4")]
    [TestCase("xoshiro256** 0000000000000000 0000000000000000 0000000000000000 0000000000000000")]
    [TestCase("pcg 0000000000000001 0000000000000002 0000000000000003 0000000000000004")]
    public void BadStatesAreRejectedAndChangeNothing(string state)
    {
        var rng = new Rng(1);
        string before = rng.SaveState();
        Assert.That(Assert.Throws<ArgumentException>(() => rng.RestoreState(state))!.Message, Does.StartWith("Rng.RestoreState: "));
        Assert.That(rng.SaveState(), Is.EqualTo(before));
    }

    private static double StdDev(double[] v)
    {
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
    }
}
