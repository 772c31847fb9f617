namespace Autograd.Tests.Core;

/// <summary>The per-thread pool hands back exactly the arrays it was given, by length, whatever the table's collisions.</summary>
public class TensorPoolTests
{
    [TearDown]
    public void Drop() { TensorPool<float>.Trim(); TensorPool<double>.Trim(); }

    private static void RoundTrip<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPool<T>.Trim();
        // 300 lengths overfill the 64-slot table, so many go through its collision dictionary.
        var rented = Enumerable.Range(1, 300).Select(n => (Length: n * 3, Array: TensorPool<T>.Rent(n * 3, out _))).ToArray();
        foreach (var (_, array) in rented) TensorPool<T>.Return(array);
        foreach (var (length, array) in rented.Reverse())
        {
            var again = TensorPool<T>.Rent(length, out int offset);
            Assert.That(again, Is.SameAs(array), $"{typeof(T).Name} length {length}");
            Assert.That(again.Length - offset, Is.GreaterThanOrEqualTo(length));
        }
        TensorPool<T>.Return(rented[0].Array);
        TensorPool<T>.Trim();
        Assert.That(TensorPool<T>.Rent(rented[0].Length, out _), Is.Not.SameAs(rented[0].Array), "Trim dropped the idle arrays");
    }

    [Test] public void FloatArraysComeBackByLength() => RoundTrip<float>();
    [Test] public void DoubleArraysComeBackByLength() => RoundTrip<double>();

    [Test]
    public void EachThreadHasItsOwnPool()
    {
        var mine = TensorPool<float>.Rent(77, out _);
        TensorPool<float>.Return(mine);
        float[]? other = null;
        var t = new Thread(() => other = TensorPool<float>.Rent(77, out _));
        t.Start(); t.Join();
        Assert.That(other, Is.Not.SameAs(mine));
        Assert.That(TensorPool<float>.Rent(77, out _), Is.SameAs(mine));
    }
}
