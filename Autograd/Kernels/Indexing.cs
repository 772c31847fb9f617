using System.Diagnostics;

namespace Autograd.Kernels;

/// <summary>
/// Selecting along one axis with integer indices, and the scatter-adds that are their backward passes. A tensor is
/// viewed as [outer, axis, inner] around the chosen axis (outer = the product of the axes before it, inner = of those
/// after), so every selected slice is a contiguous run of <c>inner</c> elements.
/// <list type="bullet">
/// <item>IndexSelect: one index list for all of the axis, y [outer, K, inner] with y[o, k, :] = x[o, indices[k], :].
/// The Embedding lookup is the case outer = 1: weight [V, D], indices [K] → [K, D].</item>
/// <item>Gather (torch.gather): an index per output element, index [outer, K, inner] with y[o, k, i] = x[o, index[o, k, i], i].</item>
/// </list>
/// Indices are assumed in [0, axis) (the ops check them and name the offender); slicing is bounds-checked regardless.
/// </summary>
internal static class Indexing
{
    /// <summary>y [outer, K, inner] = x [outer, axis, inner] at axis positions <paramref name="indices"/> [K].</summary>
    public static void IndexSelectForward<T>(int outer, int axis, int inner, ReadOnlySpan<T> x, ReadOnlySpan<int> indices, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = indices.Length;
        AssertSizes(outer, axis, inner, x.Length, count, y.Length);
        for (int o = 0; o < outer; o++)
        {
            var source = x.Slice(o * axis * inner, axis * inner);
            var destination = y.Slice(o * count * inner, count * inner);
            for (int k = 0; k < count; k++)
                source.Slice(indices[k] * inner, inner).CopyTo(destination.Slice(k * inner, inner));
        }
    }

    /// <summary>dx [outer, axis, inner] (+)= dy [outer, K, inner] added back at positions <paramref name="indices"/>; repeats add up.</summary>
    public static void IndexSelectBackward<T>(int outer, int axis, int inner, ReadOnlySpan<T> dy, ReadOnlySpan<int> indices, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = indices.Length;
        AssertSizes(outer, axis, inner, dx.Length, count, dy.Length);
        if (!accumulate) dx[..(outer * axis * inner)].Clear();
        for (int o = 0; o < outer; o++)
        {
            var source = dy.Slice(o * count * inner, count * inner);
            var destination = dx.Slice(o * axis * inner, axis * inner);
            for (int k = 0; k < count; k++)
                InPlace.Add(destination.Slice(indices[k] * inner, inner), source.Slice(k * inner, inner));
        }
    }

    /// <summary>y [outer, K, inner] = x [outer, axis, inner] gathered along the axis by <paramref name="index"/> [outer, K, inner].</summary>
    public static void GatherForward<T>(int outer, int axis, int inner, ReadOnlySpan<T> x, ReadOnlySpan<int> index, int count, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(outer, axis, inner, x.Length, count, y.Length);
        Debug.Assert(index.Length >= outer * count * inner, "index shorter than the output");
        for (int o = 0; o < outer; o++)
        {
            var source = x.Slice(o * axis * inner, axis * inner);
            int at = o * count * inner;
            for (int k = 0; k < count; k++)
                for (int i = 0; i < inner; i++, at++)
                    y[at] = source[index[at] * inner + i];
        }
    }

    /// <summary>dx [outer, axis, inner] (+)= dy [outer, K, inner] scattered back along the axis by <paramref name="index"/>.</summary>
    public static void GatherBackward<T>(int outer, int axis, int inner, ReadOnlySpan<T> dy, ReadOnlySpan<int> index, int count, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(outer, axis, inner, dx.Length, count, dy.Length);
        Debug.Assert(index.Length >= outer * count * inner, "index shorter than the output");
        if (!accumulate) dx[..(outer * axis * inner)].Clear();
        for (int o = 0; o < outer; o++)
        {
            var destination = dx.Slice(o * axis * inner, axis * inner);
            int at = o * count * inner;
            for (int k = 0; k < count; k++)
                for (int i = 0; i < inner; i++, at++)
                    destination[index[at] * inner + i] += dy[at];
        }
    }

    [Conditional("DEBUG")]
    private static void AssertSizes(int outer, int axis, int inner, int source, int count, int selected)
    {
        Debug.Assert(outer >= 0 && axis >= 0 && inner >= 0 && count >= 0, "negative size");
        Debug.Assert(source >= (long)outer * axis * inner && selected >= (long)outer * count * inner, "spans too short");
    }
}
