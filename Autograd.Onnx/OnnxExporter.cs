using System.Reflection;
using Autograd.Nn;
using Autograd.Onnx.Proto;
using Google.Protobuf;

namespace Autograd.Onnx;

/// <summary>
/// Exports a network built from Autograd.Nn layers as an ONNX model (opset <see cref="OpsetVersion"/>) that ONNX
/// Runtime and other ONNX tools run. The graph has one input, "input", whose axis 0 is the dynamic axis "batch" and
/// whose other axes are the sample input's; one output, "output"; and the parameters as float32 or float64
/// initializers named like the module's parameters ("0.weight"). The export runs the model on the sample in eval
/// mode (dropout is the identity) and restores each module's training mode afterwards.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graphs use.</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version written (IR 8 is the one that goes with opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>The symbolic name of the graph input's (and, where it carries through, the output's) first axis.</summary>
    public const string BatchDimension = "batch";

    /// <summary>
    /// Writes <paramref name="model"/> as an ONNX file at <paramref name="path"/> (atomically: readers never see a
    /// partial file). <paramref name="sampleInput"/> is one input batch, [batch, …]: it fixes the other axes' sizes.
    /// </summary>
    /// <exception cref="NotSupportedException">A module has no ONNX mapping (the message names it and its type).</exception>
    public static void ExportOnnx<T>(this Module<T> model, string path, Tensor<T> sampleInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = model.ToOnnx(sampleInput);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The ONNX model of <paramref name="model"/> as the bytes of an .onnx file (see <see cref="ExportOnnx{T}"/>).</summary>
    public static byte[] ToOnnx<T>(this Module<T> model, Tensor<T> sampleInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInput);
        _ = ElementType<T>();  // refuses element types other than float and double before any work
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX export: initializers are written as the little-endian bytes ONNX requires, so export needs a little-endian machine.");
        if (sampleInput.Rank < 2 || sampleInput.Shape[0] < 1)
            throw new ArgumentException(
                $"ONNX export: the sample input must be a batch [batch, …] with at least one sample (rank ≥ 2), got shape {sampleInput.Shape}.", nameof(sampleInput));

        var modes = new List<(Module<T> Module, bool Training)>();
        SaveModes(model, modes);
        try
        {
            model.Eval();
            using (Grad.NoGrad())
            {
                var graph = new OnnxGraph<T>(model, sampleInput);
                var output = graph.Export(model, graph.Input);
                var proto = new ModelProto
                {
                    IrVersion = IrVersion,
                    ProducerName = "Autograd",
                    ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
                    DocString = model.ToString(),
                    OpsetImport = { new OperatorSetIdProto { Domain = "", Version = OpsetVersion } },
                    Graph = graph.Finish(output, OutputDims(model, sampleInput, output.Shape)),
                };
                return proto.ToByteArray();
            }
        }
        finally
        {
            // Pre-order: a parent's Train(mode) resets its subtree, then each child gets its own mode back.
            foreach (var (module, training) in modes) module.Train(training);
        }
    }

    private static void SaveModes<T>(Module<T> module, List<(Module<T>, bool)> modes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        modes.Add((module, module.IsTraining));
        foreach (var (_, child) in module.NamedChildren()) SaveModes(child, modes);
    }

    /// <summary>
    /// The output's axes: the model runs once more on a batch one sample larger, and the axis that grows with the
    /// batch is "batch" (an axis that changes otherwise, as after Flatten(0), is left unknown); the rest are fixed.
    /// </summary>
    private static GraphDim[] OutputDims<T>(Module<T> model, Tensor<T> sample, Shape output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = sample.Shape[0];
        var larger = Tensor.Empty<T>(sample.Shape.With(0, batch + 1));
        sample.AsReadOnlySpan().CopyTo(larger.AsSpan());
        int row = sample.Length / batch;
        sample.AsReadOnlySpan()[..row].CopyTo(larger.AsSpan()[sample.Length..]);
        var probe = model.Forward(larger).Shape;
        if (probe.Rank != output.Rank)
            throw new InvalidOperationException(
                $"ONNX export: the output of {model.TypeName} has shape {output} for a batch of {batch} but {probe} for {batch + 1}: its rank depends on the batch size.");

        var dims = new GraphDim[output.Rank];
        for (int a = 0; a < dims.Length; a++)
            dims[a] = output[a] == probe[a] ? new GraphDim(output[a], null)
                : output[a] == batch && probe[a] == batch + 1 ? new GraphDim(null, BatchDimension)
                : new GraphDim(null, null);
        return dims;
    }

    internal static TensorProto.Types.DataType ElementType<T>() =>
        typeof(T) == typeof(float) ? TensorProto.Types.DataType.Float
        : typeof(T) == typeof(double) ? TensorProto.Types.DataType.Double
        : throw new NotSupportedException($"ONNX export: tensors of {typeof(T).Name} are not supported (float and double are).");
}
