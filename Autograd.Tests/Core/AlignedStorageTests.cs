using System.Runtime.CompilerServices;

namespace Autograd.Tests.Core;

/// <summary>Long-lived and pooled storage starts on a 64-byte boundary.</summary>
public class AlignedStorageTests
{
    private static unsafe long AddressOf<T>(Span<T> span) where T : unmanaged =>
        (long)Unsafe.AsPointer(ref span.GetPinnableReference());

    private static void AssertAligned<T>(Span<T> span, string what) where T : unmanaged =>
        Assert.That(AddressOf(span) % AlignedStorage.Alignment, Is.Zero, what);

    [TestCase(0)] [TestCase(1)] [TestCase(15)] [TestCase(16)] [TestCase(1000)]
    public void AllocateGivesAnAlignedZeroedSegmentOfTheLength(int length)
    {
        for (int i = 0; i < 20; i++)   // many allocations: the GC's placement varies, the alignment must not
        {
            var f = AlignedStorage.Allocate<float>(length);
            var d = AlignedStorage.Allocate<double>(length);
            Assert.That(f.Count, Is.EqualTo(length));
            Assert.That(d.Count, Is.EqualTo(length));
            Assert.That(f, Is.All.EqualTo(0f));
            if (length > 0) { AssertAligned(f.AsSpan(), "float"); AssertAligned(d.AsSpan(), "double"); }
        }
    }

    [Test]
    public void AllocateRejectsNegativeLengths() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedStorage.Allocate<float>(-1));

    [Test]
    public void ParametersGradientsAndScopedResultsAreAligned()
    {
        for (int n = 1; n < 40; n += 7)
        {
            var w = Tensor.ZerosAligned<float>(n, 3);
            w.RequiresGrad = true;
            AssertAligned(w.AsSpan(), "ZerosAligned");
            using (TensorScope.Begin())
            {
                var y = w.Mul(2f).Relu();
                AssertAligned(y.AsSpan(), "pooled op result");
                y.Sum().Backward();
            }
            AssertAligned(w.Grad!.AsSpan(), "leaf gradient");
            Assert.That(w.Grad!.ToArray(), Is.All.EqualTo(0f), "ReLU of zeros passes no gradient");
        }
    }
}
