namespace Autograd.Onnx;

/// <summary>
/// A module that describes its own forward pass as ONNX nodes: custom modules (skip connections, several heads)
/// implement it so that <see cref="OnnxExporter.ExportOnnx{T}"/> can export them; the built-in layers are mapped by
/// the exporter itself.
/// </summary>
/// <example>
/// A residual block y = x + ReLU(Linear(x)):
/// <code>
/// public OnnxValue&lt;float&gt; ExportOnnx(OnnxGraph&lt;float&gt; graph, OnnxValue&lt;float&gt; x)
/// {
///     var h = graph.Export(_linear, x);
///     var r = graph.Node("Relu", [h.Name], h.Sample.Relu());
///     return graph.Node("Add", [x.Name, r.Name], x.Sample + r.Sample);
/// }
/// </code>
/// </example>
public interface IOnnxExportable<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Adds the nodes that compute this module's output from <paramref name="input"/> to <paramref name="graph"/> and
    /// returns the output. Children are exported with <see cref="OnnxGraph{T}.Export"/>; each value's sample must be
    /// what <c>Forward</c> computes there (the exporter checks the output's shape against Forward's).
    /// </summary>
    OnnxValue<T> ExportOnnx(OnnxGraph<T> graph, OnnxValue<T> input);
}
