using SnTensor = System.Numerics.Tensors.Tensor;
using System.Numerics.Tensors;

namespace Autograd.Tests.Core;

/// <summary>Conversions between <see cref="Tensor{T}"/> and System.Numerics.Tensors.</summary>
public class TensorInteropTests
{
    [Test]
    public void TensorSpanSharesMemoryBothWays()
    {
        var t = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        var span = t.AsTensorSpan();
        Assert.That(span.Lengths.ToArray(), Is.EqualTo(new nint[] { 2, 3 }));
        Assert.That(span[1, 2], Is.EqualTo(6.0));
        span[0, 1] = 20;
        Assert.That(t[0, 1], Is.EqualTo(20.0), "a write through the span is seen by the tensor");
        t[1, 0] = 40;
        Assert.That(t.AsReadOnlyTensorSpan()[1, 0], Is.EqualTo(40.0), "a write to the tensor is seen by the span");
    }

    [Test]
    public void TensorSpanOfARowViewStartsAtItsOffset()
    {
        var t = Tensor.Arange<double>(0, 12).View(new Shape(4, 3));
        var rows = t.ViewRows(1, 2);   // elements 3..8
        var span = rows.AsTensorSpan();
        Assert.That(span.Lengths.ToArray(), Is.EqualTo(new nint[] { 2, 3 }));
        Assert.That(span[0, 0], Is.EqualTo(3.0));
        Assert.That(span[1, 2], Is.EqualTo(8.0));
        span[1, 2] = -8;
        Assert.That(t[2, 2], Is.EqualTo(-8.0));
    }

    [Test]
    public void ScalarAppearsAsOneElementSpan()
    {
        var s = Tensor.Scalar(2.5f);
        var span = s.AsReadOnlyTensorSpan();
        Assert.That(span.Rank, Is.EqualTo(1));
        Assert.That(span[0], Is.EqualTo(2.5f));
    }

    [Test]
    public void ToSystemTensorIsZeroCopyForOwnedStorage()
    {
        var t = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, 2, 2);
        var sys = t.ToSystemTensor();
        Assert.That(sys.Lengths.ToArray(), Is.EqualTo(new nint[] { 2, 2 }));
        Assert.That(sys[1, 0], Is.EqualTo(3f));
        sys[1, 0] = 30;
        Assert.That(t[1, 0], Is.EqualTo(30f), "shared storage: the system tensor's write is seen");
        t[0, 0] = 10;
        Assert.That(sys[0, 0], Is.EqualTo(10f), "shared storage: the tensor's write is seen");
    }

    [Test]
    public void ToSystemTensorCopiesAViewAtAnOffset()
    {
        var t = Tensor.Arange<double>(0, 6).View(new Shape(3, 2));
        var rows = t.ViewRows(1, 2);
        var sys = rows.ToSystemTensor();
        Assert.That(sys.Lengths.ToArray(), Is.EqualTo(new nint[] { 2, 2 }));
        Assert.That(sys[0, 0], Is.EqualTo(2.0));
        sys[0, 0] = 99;
        Assert.That(t[1, 0], Is.EqualTo(2.0), "a copy: the original is untouched");
    }

    [Test]
    public void ToSystemTensorCopiesScopePooledStorage()
    {
        System.Numerics.Tensors.Tensor<double> sys;
        var a = Tensor.Ones<double>(4);
        using (var scope = TensorScope.Begin())
        {
            var y = scope.Keep(a.Add(a));   // pooled storage, kept
            sys = y.ToSystemTensor();
            y[0] = 7;
            Assert.That(sys[0], Is.EqualTo(2.0), "pooled storage is copied, never aliased");
        }
    }

    [Test]
    public void FromSystemTensorCopies()
    {
        var sys = SnTensor.Create(new[] { 1.0, 2, 3, 4, 5, 6 }, [3, 2]);
        var t = Tensor.FromSystemTensor(sys);
        Assert.That(t.Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1.0, 2, 3, 4, 5, 6 }));
        sys[0, 0] = 100;
        Assert.That(t[0, 0], Is.EqualTo(1.0));
        Assert.That(t.IsLeaf && !t.RequiresGrad, Is.True);
    }

    [Test]
    public void RoundTripPreservesShapeAndValues()
    {
        var original = Tensor.Normal<float>(new Shape(2, 3, 4), 0, 1, new Rng(1));
        var back = Tensor.FromSystemTensor(original.ToSystemTensor());
        Assert.That(back.Shape, Is.EqualTo(original.Shape));
        Assert.That(back.ToArray(), Is.EqualTo(original.ToArray()));
        var viaSpan = Tensor.FromTensorSpan(original.AsReadOnlyTensorSpan());
        Assert.That(viaSpan.ToArray(), Is.EqualTo(original.ToArray()));
        viaSpan[0, 0, 0] = 123;
        Assert.That(original[0, 0, 0], Is.Not.EqualTo(123f), "FromTensorSpan copies");
    }

    [Test]
    public void FromTensorSpanReadsATransposedSpanInRowMajorOrder()
    {
        // Storage [[1,2,3],[4,5,6]] seen as its 3×2 transpose through strides [1, 3].
        var storage = new[] { 1.0, 2, 3, 4, 5, 6 };
        var transposed = new ReadOnlyTensorSpan<double>(storage, 0, [3, 2], [1, 3]);
        var t = Tensor.FromTensorSpan(transposed);
        Assert.That(t.Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1.0, 4, 2, 5, 3, 6 }));
    }

    [Test]
    public void FromTensorSpanReadsASlicedAndABroadcastSpan()
    {
        // Every other column of a 2×4 matrix: strides [4, 2], a gap after each element.
        var storage = new[] { 0.0, 1, 2, 3, 4, 5, 6, 7 };
        var sliced = new ReadOnlyTensorSpan<double>(storage, 1, [2, 2], [4, 2]);
        Assert.That(Tensor.FromTensorSpan(sliced).ToArray(), Is.EqualTo(new[] { 1.0, 3, 5, 7 }));

        // A row repeated three times: stride 0 on the leading axis.
        var row = new[] { 1f, 2f };
        var broadcast = new ReadOnlyTensorSpan<float>(row, 0, [3, 2], [0, 1]);
        Assert.That(Tensor.FromTensorSpan(broadcast).ToArray(), Is.EqualTo(new[] { 1f, 2, 1, 2, 1, 2 }));
    }

    [Test]
    public void FromSystemTensorOfANonDenseSlice()
    {
        var sys = SnTensor.Create(Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), [3, 4]);
        var middle = sys.AsReadOnlyTensorSpan()[1..3, 1..3];   // rows 1–2, columns 1–2
        Assert.That(Tensor.FromTensorSpan(middle).ToArray(), Is.EqualTo(new[] { 5.0, 6, 9, 10 }));
    }

    [Test]
    public void EmptyTensorsConvertWithTheirShape()
    {
        var empty = Tensor.Zeros<double>(0, 3);
        Assert.That(empty.AsTensorSpan().Lengths.ToArray(), Is.EqualTo(new nint[] { 0, 3 }));
        Assert.That(empty.ToSystemTensor().Lengths.ToArray(), Is.EqualTo(new nint[] { 0, 3 }));
        Assert.That(Tensor.FromSystemTensor(empty.ToSystemTensor()).Shape, Is.EqualTo(new Shape(0, 3)));
        var endRows = Tensor.Zeros<double>(2, 3).ViewRows(2, 0);   // offset at the end of the storage
        Assert.That(endRows.AsReadOnlyTensorSpan().FlattenedLength, Is.EqualTo((nint)0));
    }
}
