using System.Globalization;
using System.Text;

namespace Autograd;

/// <summary>PyTorch-style printing: nested brackets, aligned values, large tensors elided with "...".</summary>
internal static class TensorFormatter
{
    private const int ElideAbove = 1000;  // elements; larger tensors show EdgeItems per edge of each axis
    private const int EdgeItems = 3;

    public static string Format<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (t.IsDisposed) return $"tensor(<disposed>, shape={t.Shape}, dtype={Tensor<T>.DType})";
        var values = t.AsReadOnlySpan();
        bool elide = t.Length > ElideAbove;
        bool integral = true;
        double maxAbs = 0;
        foreach (var v in values)
        {
            double d = double.CreateTruncating(v);
            if (double.IsFinite(d)) { maxAbs = Math.Max(maxAbs, Math.Abs(d)); if (d != Math.Round(d)) integral = false; }
        }
        bool scientific = maxAbs >= 1e8 || (maxAbs > 0 && maxAbs < 1e-4);
        string Fmt(T v)
        {
            double d = double.CreateTruncating(v);
            if (double.IsNaN(d)) return "nan";
            if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
            if (scientific) return d.ToString("0.0000e+00", CultureInfo.InvariantCulture);
            return integral ? d.ToString("0", CultureInfo.InvariantCulture) + "." : d.ToString("0.0000", CultureInfo.InvariantCulture);
        }
        int width = 0;
        foreach (var v in values) width = Math.Max(width, Fmt(v).Length);

        var sb = new StringBuilder("tensor(");
        if (t.Rank == 0) sb.Append(Fmt(values[0]));
        else AppendAxis(sb, t.AsReadOnlySpan(), t.Shape, 0, 0, elide, width, "tensor(".Length, Fmt);
        sb.Append(", shape=").Append(t.Shape).Append(", dtype=").Append(Tensor<T>.DType);
        if (t.RequiresGrad) sb.Append(t.IsLeaf ? ", requires_grad" : $", grad_fn={t.OpName}");
        return sb.Append(')').ToString();
    }

    private delegate string Formatter<T>(T value);

    private static void AppendAxis<T>(StringBuilder sb, ReadOnlySpan<T> values, Shape shape, int axis, int offset,
        bool elide, int width, int indent, Formatter<T> fmt)
    {
        int n = shape.Dimensions[axis];
        int stride = shape.Product(axis + 1, shape.Rank);
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (elide && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(axis == shape.Rank - 1 ? "...," : "...,\n" + new string(' ', indent + axis + 1));
                if (axis == shape.Rank - 1) sb.Append(' ');
                i = n - EdgeItems - 1;
                continue;
            }
            if (axis == shape.Rank - 1) sb.Append(fmt(values[offset + i]).PadLeft(width));
            else AppendAxis(sb, values, shape, axis + 1, offset + i * stride, elide, width, indent, fmt);
            if (i < n - 1)
            {
                sb.Append(',');
                if (axis == shape.Rank - 1) sb.Append(' ');
                else sb.Append('\n', shape.Rank - 1 - axis).Append(' ', indent + axis + 1);
            }
        }
        sb.Append(']');
    }
}
