using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Autograd.Nn;

public abstract partial class Module<T>
{
    // Non-null only while Summary runs its forward pass on this thread: Call records each module's output shape here.
    // Kept in a non-generic class: a thread static of a generic class is read through a runtime helper on every Call.
    private static Dictionary<Module<T>, Shape>? _summaryShapes
    {
        get => SummaryObserver.Shapes as Dictionary<Module<T>, Shape>;
        set => SummaryObserver.Shapes = value;
    }

    /// <summary>
    /// A table of the module tree (like torchinfo / Keras summary): each module's name and type, its output shape
    /// for an input of <paramref name="inputShape"/>, its own parameter count, then the totals. The shapes come
    /// from one forward pass on zeros in eval mode under <see cref="Grad.NoGrad"/>; the training mode is restored.
    /// A child invoked through Forward rather than <see cref="Call"/> shows "?" as its output shape.
    /// </summary>
    public string Summary(Shape inputShape)
    {
        var shapes = new Dictionary<Module<T>, Shape>(ReferenceEqualityComparer.Instance);
        var modes = new List<(Module<T> Module, bool Training)>();
        SaveModes(modes);
        var previous = _summaryShapes;
        _summaryShapes = shapes;
        try
        {
            Eval();
            using (Grad.NoGrad())
            using (TensorScope.Begin())
                Call(Tensor.Zeros<T>(inputShape.Dimensions));
        }
        finally
        {
            _summaryShapes = previous;
            foreach (var (module, training) in modes) module.IsTraining = training;
        }

        var rows = new List<(string Layer, string Output, string Params)>();
        AddSummaryRows(rows, null, 0, shapes);
        return FormatSummary(rows, inputShape);
    }

    private void SaveModes(List<(Module<T>, bool)> modes)
    {
        modes.Add((this, IsTraining));
        foreach (var (_, c) in _children) c.SaveModes(modes);
    }

    private void AddSummaryRows(List<(string, string, string)> rows, string? name, int depth, Dictionary<Module<T>, Shape> shapes)
    {
        long own = 0;
        foreach (var (_, p) in _parameters) own += p.Length;
        string layer = new string(' ', 2 * depth) + (name is null ? TypeName : $"{name} ({TypeName})");
        string output = shapes.TryGetValue(this, out var s) ? s.ToString() : "?";
        rows.Add((layer, output, own == 0 ? "--" : own.ToString("N0", CultureInfo.InvariantCulture)));
        foreach (var (childName, child) in _children) child.AddSummaryRows(rows, childName, depth + 1, shapes);
    }

    private string FormatSummary(List<(string Layer, string Output, string Params)> rows, Shape inputShape)
    {
        const string H1 = "Layer (type)", H2 = "Output Shape", H3 = "Param #";
        int w1 = H1.Length, w2 = H2.Length, w3 = H3.Length;
        foreach (var (l, o, p) in rows) { w1 = Math.Max(w1, l.Length); w2 = Math.Max(w2, o.Length); w3 = Math.Max(w3, p.Length); }
        int width = w1 + w2 + w3 + 4;
        var sb = new StringBuilder();
        sb.AppendLine(new string('=', width));
        sb.Append(H1.PadRight(w1)).Append("  ").Append(H2.PadRight(w2)).Append("  ").AppendLine(H3.PadLeft(w3));
        sb.AppendLine(new string('=', width));
        foreach (var (l, o, p) in rows)
            sb.Append(l.PadRight(w1)).Append("  ").Append(o.PadRight(w2)).Append("  ").AppendLine(p.PadLeft(w3));
        sb.AppendLine(new string('=', width));

        long total = 0, trainable = 0;
        foreach (var (_, p) in NamedParameters())
        {
            total += p.Length;
            if (p.RequiresGrad) trainable += p.Length;
        }
        var inv = CultureInfo.InvariantCulture;
        sb.Append("Input shape: ").AppendLine(inputShape.ToString());
        sb.Append("Total params: ").AppendLine(total.ToString("N0", inv));
        sb.Append("Trainable params: ").AppendLine(trainable.ToString("N0", inv));
        sb.Append("Non-trainable params: ").AppendLine((total - trainable).ToString("N0", inv));
        sb.Append("Params size (MB): ").AppendLine((total * Unsafe.SizeOf<T>() / 1e6).ToString("0.00", inv));
        sb.Append(new string('=', width));
        return sb.ToString();
    }
}

/// <summary>The output-shape table of the <see cref="Module{T}.Summary"/> running on this thread (any element type), or null.</summary>
internal static class SummaryObserver
{
    [ThreadStatic] internal static object? Shapes;
}
