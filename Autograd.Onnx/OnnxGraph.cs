using System.Runtime.InteropServices;
using Autograd.Nn;
using Autograd.Onnx.Proto;
using Google.Protobuf;

namespace Autograd.Onnx;

/// <summary>
/// The ONNX graph of one export, handed to the code that maps a module to nodes (the built-in table and
/// <see cref="IOnnxExportable{T}"/> modules): it exports children, adds nodes and initializers, and keeps every
/// name unique. Nodes are named after the module that added them ("/0/Gemm", "/encoder/1/Relu"), initializers
/// after the parameters' dotted names ("0.weight").
/// </summary>
public sealed class OnnxGraph<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The graph output's name.</summary>
    public const string OutputName = "output";

    private readonly GraphProto _graph = new();
    private readonly Dictionary<Module<T>, string> _modulePaths = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor<T>, string> _parameterNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor<T>, string> _initializerOf = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _names = [InputName];
    private readonly HashSet<string> _initializerNames = [];
    private readonly Dictionary<string, NodeProto> _producers = [];
    private readonly Stack<string> _modulePath = new();

    internal OnnxGraph(Module<T> model, Tensor<T> sampleInput)
    {
        CollectPaths(model, "");
        foreach (var (name, p) in model.NamedParameters()) _parameterNames[p] = name;
        Input = new OnnxValue<T>(InputName, sampleInput);
        _graph.Name = model.TypeName;
    }

    private void CollectPaths(Module<T> module, string path)
    {
        if (!_modulePaths.TryAdd(module, path)) return;  // a module shared by several parents keeps its first path
        foreach (var (name, child) in module.NamedChildren()) CollectPaths(child, path.Length == 0 ? name : $"{path}.{name}");
    }

    /// <summary>The graph input (the sample input as its sample).</summary>
    public OnnxValue<T> Input { get; }

    /// <summary>
    /// Adds the nodes of <paramref name="module"/> applied to <paramref name="input"/> and returns its output: through
    /// the module's own <see cref="IOnnxExportable{T}"/> if it implements it, otherwise through the built-in layer table.
    /// </summary>
    /// <exception cref="NotSupportedException">The module has no ONNX mapping; the message names it and its type.</exception>
    public OnnxValue<T> Export(Module<T> module, OnnxValue<T> input)
    {
        ArgumentNullException.ThrowIfNull(module);
        _modulePath.Push(PathOf(module));
        try
        {
            if (module is IOnnxExportable<T> self)
            {
                var output = self.ExportOnnx(this, input);
                CheckKnown(output.Name, $"the output of {Describe(module)}");
                var expected = module.Forward(input.Sample).Shape;
                if (output.Shape != expected)
                    throw new InvalidOperationException(
                        $"ONNX export: {Describe(module)} exported an output of shape {output.Shape}, but its Forward gives {expected} for the input {input.Shape}.");
                return output;
            }
            if (OnnxLayers<T>.TryGet(module, out var emit)) return emit(this, module, input);
            throw new NotSupportedException(
                $"ONNX export: {Describe(module)} has no ONNX mapping: the exporter maps {string.Join(", ", OnnxLayers<T>.Names)}; " +
                $"a custom module implements IOnnxExportable<{typeof(T).Name}> to describe its Forward as ONNX nodes.");
        }
        finally
        {
            _modulePath.Pop();
        }
    }

    /// <summary>
    /// Adds a node with one output whose value on the sample input is <paramref name="sample"/> (compute it with the
    /// library's op, e.g. <c>x.Sample.Relu()</c>), and returns that output. Every input must be a value of this graph,
    /// an initializer, or "" for an omitted optional input.
    /// </summary>
    public OnnxValue<T> Node(string opType, ReadOnlySpan<string> inputs, Tensor<T> sample, params ReadOnlySpan<OnnxAttribute> attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(sample);
        string scope = _modulePath.Count == 0 ? "" : _modulePath.Peek();
        string nodeName = Unique("/" + (scope.Length == 0 ? "" : scope.Replace('.', '/') + "/") + opType);
        var node = new NodeProto { OpType = opType, Name = nodeName };
        foreach (var input in inputs)
        {
            if (input.Length > 0) CheckKnown(input, $"input of the {opType} node '{nodeName}'");
            node.Input.Add(input);
        }
        foreach (var a in attributes) node.Attribute.Add(a.ToProto());
        string output = Unique(nodeName + "_output_0");
        node.Output.Add(output);
        _graph.Node.Add(node);
        _producers[output] = node;
        return new OnnxValue<T>(output, sample);
    }

    /// <summary>
    /// The initializer of <paramref name="parameter"/>, a parameter of the exported model, named by its dotted
    /// parameter name ("0.weight"); a parameter shared by several layers is stored once.
    /// </summary>
    public string Parameter(Tensor<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!_parameterNames.TryGetValue(parameter, out var name))
            throw new ArgumentException(
                $"ONNX export: the tensor of shape {parameter.Shape} given to Parameter (in '{CurrentPath}') is not a parameter of the exported model; " +
                "store other constants with Initializer.", nameof(parameter));
        return StoreInitializer(name, parameter);
    }

    /// <summary>
    /// Stores <paramref name="value"/> (a buffer such as a running mean, or a constant) as an initializer named
    /// <paramref name="name"/> under the current module's path ("3.running_mean"), made unique if taken, and returns
    /// its name; the same tensor is stored once.
    /// </summary>
    public string Initializer(string name, Tensor<T> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        return StoreInitializer(UnderCurrentPath(name), value);
    }

    /// <summary>
    /// Stores a 1-D int64 initializer (a Reshape's target shape, a Slice's bounds) named <paramref name="name"/> under
    /// the current module's path, and returns its name.
    /// </summary>
    public string Int64Initializer(string name, params ReadOnlySpan<long> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var tensor = NewInitializer(UnderCurrentPath(name), TensorProto.Types.DataType.Int64, [values.Length]);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor.Name;
    }

    private string UnderCurrentPath(string name) => CurrentPath.Length == 0 ? name : $"{CurrentPath}.{name}";

    private string StoreInitializer(string name, Tensor<T> value)
    {
        if (_initializerOf.TryGetValue(value, out var existing)) return existing;
        var tensor = NewInitializer(name, OnnxExporter.ElementType<T>(), value.Shape.Dimensions);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(value.AsReadOnlySpan()));
        _initializerOf[value] = tensor.Name;
        return tensor.Name;
    }

    private TensorProto NewInitializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<int> dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)type };
        foreach (var d in dims) tensor.Dims.Add(d);
        _graph.Initializer.Add(tensor);
        _initializerNames.Add(tensor.Name);
        return tensor;
    }

    /// <summary>The dotted path of the module being exported ("" for the model itself).</summary>
    public string CurrentPath => _modulePath.Count == 0 ? "" : _modulePath.Peek();

    private string PathOf(Module<T> module) =>
        _modulePaths.TryGetValue(module, out var path) ? path
        // A module an emitter exports without having registered it as a child: named under the one exporting it.
        : CurrentPath.Length == 0 ? module.TypeName : $"{CurrentPath}.{module.TypeName}";

    internal string Describe(Module<T> module)
    {
        string path = PathOf(module);
        return path.Length == 0 ? $"the model (type {module.TypeName})" : $"module '{path}' (type {module.TypeName})";
    }

    private string Unique(string name)
    {
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    private void CheckKnown(string name, string what)
    {
        if (name != InputName && !_producers.ContainsKey(name) && !_initializerNames.Contains(name))
            throw new InvalidOperationException($"ONNX export: '{name}', the {what} (in '{CurrentPath}'), is not a value of this graph.");
    }

    /// <summary>The finished graph: input and output declared, <paramref name="output"/>'s value renamed "output".</summary>
    internal GraphProto Finish(OnnxValue<T> output, IReadOnlyList<GraphDim> outputDims)
    {
        CheckKnown(output.Name, "graph output");
        if (_producers.TryGetValue(output.Name, out var producer))
        {
            // Rename the value everywhere it appears, so the file's output is called "output" without an extra node.
            producer.Output[0] = OutputName;
            foreach (var node in _graph.Node)
                for (int i = 0; i < node.Input.Count; i++)
                    if (node.Input[i] == output.Name) node.Input[i] = OutputName;
        }
        else
        {
            // The model passes its input (or a constant) through unchanged: a graph output needs a producing node.
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = Unique("/Identity"), Input = { output.Name }, Output = { OutputName } });
        }

        var batch = new GraphDim(null, OnnxExporter.BatchDimension);
        var inputDims = new GraphDim[Input.Shape.Rank];
        inputDims[0] = batch;
        for (int a = 1; a < inputDims.Length; a++) inputDims[a] = new GraphDim(Input.Shape[a], null);
        _graph.Input.Add(ValueInfo(InputName, inputDims));
        _graph.Output.Add(ValueInfo(OutputName, outputDims));
        return _graph;
    }

    private static ValueInfoProto ValueInfo(string name, IReadOnlyList<GraphDim> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Value is long v) dim.DimValue = v;
            else if (d.Param is string p) dim.DimParam = p;
            shape.Dim.Add(dim);  // neither set: a size ONNX leaves unknown
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxExporter.ElementType<T>(), Shape = shape } },
        };
    }
}

/// <summary>One axis of the graph input or output: a fixed size, a named symbolic size ("batch"), or neither (unknown).</summary>
internal readonly record struct GraphDim(long? Value, string? Param);
