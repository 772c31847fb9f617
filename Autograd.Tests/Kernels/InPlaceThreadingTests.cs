using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Long in-place passes run in halves on two threads: the halves split on a multiple of 64 elements, so every element
/// must get the bits of the one-thread pass, for lengths around the threshold and with odd tails, float and double.
/// </summary>
public class InPlaceThreadingTests
{
    private static readonly int[] Lengths = [(1 << 15) - 1, 1 << 15, (1 << 15) + 17, 100_003, 392_000 + 9];

    private static T[] Values<T>(int n, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[n];
        new Rng(seed).FillUniform<T>(v, -2, 2);
        return v;
    }

    private static void Compare<T>(Action<T[], T[], T[]> pass) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int n in Lengths)
        {
            var y = Values<T>(n, 1); var a = Values<T>(n, 2); var b = Values<T>(n, 3);
            // Some velocities small enough for the momentum step's subnormal flush.
            for (int i = 0; i < n; i += 997) b[i] = T.CreateChecked(1e-39);
            var one = ((T[])y.Clone(), (T[])a.Clone(), (T[])b.Clone());
            var two = ((T[])y.Clone(), (T[])a.Clone(), (T[])b.Clone());
            GemmTests.WithThreads(1, () => pass(one.Item1, one.Item2, one.Item3));
            GemmTests.WithThreads(2, () => pass(two.Item1, two.Item2, two.Item3));
            Assert.That(two.Item1, Is.EqualTo(one.Item1), $"{typeof(T).Name}, length {n}: first operand");
            Assert.That(two.Item2, Is.EqualTo(one.Item2), $"{typeof(T).Name}, length {n}: second operand");
            Assert.That(two.Item1, Is.Not.EqualTo(y), "the pass changed its destination");
        }
    }

    [Test]
    public void AddScaledHalvesGiveTheBitsOfOnePass()
    {
        Compare<float>((y, a, _) => InPlace.AddScaled<float>(y, a, -0.37f));
        Compare<double>((y, a, _) => InPlace.AddScaled<double>(y, a, -0.37));
    }

    [Test]
    public void AddProductAndScaleHalvesGiveTheBitsOfOnePass()
    {
        Compare<float>((y, a, b) => { InPlace.AddProduct<float>(y, a, b); InPlace.Scale<float>(y, 0.9f); });
        Compare<double>((y, a, b) => { InPlace.AddProduct<double>(y, a, b); InPlace.Scale<double>(y, 0.9); });
    }

    [Test]
    public void MomentumStepHalvesGiveTheBitsOfOnePass()
    {
        // p = y, velocity = a, gradient = b (which also seeds subnormal candidates through the velocity update).
        Compare<float>((p, v, g) => { v[5] = 1e-39f; InPlace.MomentumStep<float>(p, v, g, 0.9f, 1f, -0.01f); });
        Compare<double>((p, v, g) => { v[5] = 1e-309; InPlace.MomentumStep<double>(p, v, g, 0.9, 1, -0.01); });
    }
}
