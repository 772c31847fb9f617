using Autograd.Kernels;
using static Autograd.Tests.Kernels.ConvolutionKernelTests;
using static Autograd.Tests.Kernels.PoolingKernelTests;

namespace Autograd.Tests.Kernels;

/// <summary>
/// IndexSelect (and the Embedding lookup, its axis-0 case) and Gather against naive loops over [outer, axis, inner]
/// views, with repeated indices whose gradients must add up; backward against central differences of the forward.
/// </summary>
public class IndexingKernelTests
{
    // (outer, axis, inner, selected count): axis 0 (embedding), a middle axis, the last axis (inner 1), repeats, none.
    public static readonly object[] Shapes = [new[] { 1, 10, 4, 6 }, new[] { 3, 5, 7, 8 }, new[] { 4, 6, 1, 3 }, new[] { 2, 3, 5, 0 }, new[] { 1, 1, 33, 5 }];

    [TestCaseSource(nameof(Shapes))]
    public void IndexSelectCopiesSlicesAndScatterAddsBack(int[] shape)
    {
        int outer = shape[0], axis = shape[1], inner = shape[2], count = shape[3];
        var rng = new Rng(41);
        var indices = Enumerable.Range(0, count).Select(_ => rng.NextInt(axis)).ToArray();
        if (count > 2) indices[1] = indices[0];   // a repeated index: its gradient is the sum of both rows
        var x = Uniform(outer * axis * inner, seed: 42);
        var dy = Uniform(outer * count * inner, seed: 43);
        double[] Forward(double[] v)
        {
            var y = new double[outer * count * inner];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < count; k++)
                    for (int i = 0; i < inner; i++)
                        y[(o * count + k) * inner + i] = v[(o * axis + indices[k]) * inner + i];
            return y;
        }
        var actual = new double[dy.Length];
        Indexing.IndexSelectForward<double>(outer, axis, inner, x, indices, actual);
        Assert.That(actual, Is.EqualTo(Forward(x)));
        var actualFloat = new float[dy.Length];
        Indexing.IndexSelectForward<float>(outer, axis, inner, Cast<float>(x), indices, actualFloat);
        Assert.That(actualFloat, Is.EqualTo(Cast<float>(Forward(x))));

        var dx = Enumerable.Repeat(double.NaN, x.Length).ToArray();
        Indexing.IndexSelectBackward<double>(outer, axis, inner, dy, indices, dx, accumulate: false);
        CheckAgainstDifferences(x, dy, Forward, dx, "index select");
        var dxAccumulated = Enumerable.Repeat(1.0, x.Length).ToArray();
        Indexing.IndexSelectBackward<double>(outer, axis, inner, dy, indices, dxAccumulated, accumulate: true);
        AssertClose(dxAccumulated, dx.Select(v => v + 1).ToArray(), 1e-15, "accumulated");
    }

    [TestCaseSource(nameof(Shapes))]
    public void GatherTakesOneIndexPerElement(int[] shape)
    {
        int outer = shape[0], axis = shape[1], inner = shape[2], count = shape[3];
        var rng = new Rng(44);
        var index = Enumerable.Range(0, outer * count * inner).Select(_ => rng.NextInt(axis)).ToArray();
        var x = Uniform(outer * axis * inner, seed: 45);
        var dy = Uniform(outer * count * inner, seed: 46);
        double[] Forward(double[] v)
        {
            var y = new double[index.Length];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < count; k++)
                    for (int i = 0; i < inner; i++)
                    {
                        int at = (o * count + k) * inner + i;
                        y[at] = v[(o * axis + index[at]) * inner + i];
                    }
            return y;
        }
        var actual = new double[dy.Length];
        Indexing.GatherForward<double>(outer, axis, inner, x, index, count, actual);
        Assert.That(actual, Is.EqualTo(Forward(x)));
        var actualFloat = new float[dy.Length];
        Indexing.GatherForward<float>(outer, axis, inner, Cast<float>(x), index, count, actualFloat);
        Assert.That(actualFloat, Is.EqualTo(Cast<float>(Forward(x))));

        var dx = Enumerable.Repeat(double.NaN, x.Length).ToArray();
        Indexing.GatherBackward<double>(outer, axis, inner, dy, index, count, dx, accumulate: false);
        CheckAgainstDifferences(x, dy, Forward, dx, "gather");
        var dxAccumulated = Enumerable.Repeat(-2.0, x.Length).ToArray();
        Indexing.GatherBackward<double>(outer, axis, inner, dy, index, count, dxAccumulated, accumulate: true);
        AssertClose(dxAccumulated, dx.Select(v => v - 2).ToArray(), 1e-15, "accumulated");
    }

    [Test]
    public void EmbeddingLookupIsIndexSelectOnAxisZero()
    {
        // weight [V = 4, D = 3]; indices [5] with repeats → rows of the weight; backward adds rows of dy per index.
        double[] weight = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32];
        int[] indices = [2, 0, 2, 3, 2];
        var y = new double[15];
        Indexing.IndexSelectForward<double>(1, 4, 3, weight, indices, y);
        Assert.That(y, Is.EqualTo(new double[] { 20, 21, 22, 0, 1, 2, 20, 21, 22, 30, 31, 32, 20, 21, 22 }));
        var dWeight = new double[12];
        Indexing.IndexSelectBackward<double>(1, 4, 3, Enumerable.Repeat(1.0, 15).ToArray(), indices, dWeight, accumulate: false);
        Assert.That(dWeight, Is.EqualTo(new double[] { 1, 1, 1, 0, 0, 0, 3, 3, 3, 1, 1, 1 }));
    }
}
