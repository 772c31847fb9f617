using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>Each in-place kernel against a scalar loop, over lengths that cover the vector body and every tail.</summary>
public class InPlaceTests
{
    private static readonly int[] Lengths = [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100];

    private static (T[] Y, T[] A, T[] B) Data<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)n + 1);
        T[] Next() { var v = new T[n]; rng.FillUniform<T>(v, -2, 2); return v; }
        return (Next(), Next(), Next());
    }

    private static void Check<T>(Action<T[], T[], T[]> kernel, Func<T, T, T, T> reference) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int n in Lengths)
        {
            var (y, a, b) = Data<T>(n);
            var expected = y.Select((v, i) => reference(v, a[i], b[i])).ToArray();
            kernel(y, a, b);
            Assert.That(y, Is.EqualTo(expected), $"{typeof(T).Name}, length {n}");
        }
    }

    [Test]
    public void MatchScalarLoopsInFloatAndDouble()
    {
        RunAll<float>();
        RunAll<double>();
    }

    private static void RunAll<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alpha = T.CreateChecked(0.75);
        Check<T>((y, a, b) => InPlace.Add<T>(y, a), (y, a, b) => y + a);
        Check<T>((y, a, b) => InPlace.Subtract<T>(y, a), (y, a, b) => y - a);
        Check<T>((y, a, b) => InPlace.AddScaled<T>(y, a, alpha), (y, a, b) => y + a * alpha);
        Check<T>((y, a, b) => InPlace.AddProduct<T>(y, a, b), (y, a, b) => y + a * b);
        Check<T>((y, a, b) => InPlace.Scale<T>(y, alpha), (y, a, b) => y * alpha);
        Check<T>((y, a, b) => InPlace.AddScalar<T>(y, alpha), (y, a, b) => y + alpha);
    }

    [Test]
    public void MomentumStepMatchesTheTwoUpdates()
    {
        foreach (int n in Lengths)
        {
            var (p, v, g) = Data<double>(n);
            var (p2, v2) = ((double[])p.Clone(), (double[])v.Clone());
            InPlace.MomentumStep<double>(p, v, g, 0.9, 0.8, -0.05);
            for (int i = 0; i < n; i++)
            {
                v2[i] = v2[i] * 0.9 + g[i] * 0.8;
                p2[i] += v2[i] * -0.05;
            }
            Assert.That(v, Is.EqualTo(v2).Within(1e-15), $"velocity, length {n}");
            Assert.That(p, Is.EqualTo(p2).Within(1e-15), $"parameter, length {n}");
        }
    }

    [Test]
    public void SubnormalsAreFlushedToZeroAndNormalsKept()
    {
        float tiny = InPlace.SmallestNormal<float>();
        var y = new float[40];
        for (int i = 0; i < y.Length; i++) y[i] = (i % 4) switch { 0 => tiny / 4, 1 => -tiny / 2, 2 => tiny, _ => -1.5f };
        InPlace.FlushSubnormals<float>(y);
        for (int i = 0; i < y.Length; i++)
            Assert.That(y[i], Is.EqualTo((i % 4) switch { 0 or 1 => 0f, 2 => tiny, _ => -1.5f }), $"element {i}");
        Assert.That(float.IsSubnormal(tiny / 4) && !float.IsSubnormal(tiny), "the threshold is the smallest normal float");
        Assert.That(double.IsSubnormal(InPlace.SmallestNormal<double>() / 2) && !double.IsSubnormal(InPlace.SmallestNormal<double>()));

        // A velocity with zero gradient decays to exactly 0 instead of lingering as a subnormal.
        var p = new float[33]; var v = Enumerable.Repeat(1f, 33).ToArray(); var g = new float[33];
        for (int step = 0; step < 1000; step++) InPlace.MomentumStep<float>(p, v, g, 0.9f, 1f, -0.1f);
        Assert.That(v, Has.All.EqualTo(0f));
    }

    [Test]
    public void ShortInputIsRejected() =>
        Assert.Throws<ArgumentException>(() => InPlace.Add<float>(new float[4], new float[3]));
}
