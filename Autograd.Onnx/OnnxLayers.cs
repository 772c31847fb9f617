using Autograd.Nn;

namespace Autograd.Onnx;

/// <summary>Adds the nodes of one module applied to <c>input</c> and returns its output.</summary>
internal delegate OnnxValue<T> OnnxEmitter<T>(OnnxGraph<T> graph, Module<T> module, OnnxValue<T> input)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The ONNX mapping of each built-in layer of Autograd.Nn, keyed by its generic type definition. A new layer is
/// mapped by one <c>Add</c> line here (and a small method when it takes more than one node); the layer's own file
/// does not change. Modules not listed can describe themselves with <see cref="IOnnxExportable{T}"/>.
/// </summary>
internal static class OnnxLayers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly Dictionary<Type, OnnxEmitter<T>> Emitters = [];

    static OnnxLayers()
    {
        Add<Sequential<T>>(Sequential);
        Add<Linear<T>>(Linear);
        Add<ReLU<T>>(Unary("Relu"));
        Add<Sigmoid<T>>(Unary("Sigmoid"));
        Add<Tanh<T>>(Unary("Tanh"));
        Add<LeakyReLU<T>>(LeakyRelu);
        Add<Softmax<T>>((g, m, x) => g.Node("Softmax", [x.Name], m.Forward(x.Sample), AxisAttribute(x, m.Axis, "Softmax")));
        Add<LogSoftmax<T>>((g, m, x) => g.Node("LogSoftmax", [x.Name], m.Forward(x.Sample), AxisAttribute(x, m.Axis, "LogSoftmax")));
        Add<Flatten<T>>(Flatten);
        Add<Unflatten<T>>(Unflatten);
        Add<Conv2d<T>>((g, m, x) => Conv(g, x, m.Forward(x.Sample), m.Weight, m.Bias, [m.KernelSize.Height, m.KernelSize.Width],
            [m.Stride.Height, m.Stride.Width], [m.Padding.Height, m.Padding.Width], [m.Dilation.Height, m.Dilation.Width], m.Groups));
        Add<Conv1d<T>>((g, m, x) => Conv(g, x, m.Forward(x.Sample), m.Weight, m.Bias, [m.KernelSize], [m.Stride], [m.Padding], [m.Dilation], m.Groups));
        Add<MaxPool2d<T>>((g, m, x) => g.Node("MaxPool", [x.Name], m.Forward(x.Sample), PoolAttributes(m)));
        // PyTorch's (and our) default count_include_pad = true divides every window by its full size; ONNX's default is 0.
        Add<AvgPool2d<T>>((g, m, x) => g.Node("AveragePool", [x.Name], m.Forward(x.Sample),
            [.. PoolAttributes(m), OnnxAttribute.Int("count_include_pad", 1)]));
        Add<AdaptiveAvgPool2d<T>>((g, m, x) => g.Node("GlobalAveragePool", [x.Name], m.Forward(x.Sample)));
        Add<BatchNorm1d<T>>(BatchNorm);
        Add<BatchNorm2d<T>>(BatchNorm);
        Add<LayerNorm<T>>(LayerNorm);
        Add<Embedding<T>>(Embedding);
        Add<Identity<T>>((g, m, x) => x);
        // The export runs in eval mode, where dropout is the identity.
        Add<Dropout<T>>((g, m, x) => x);
    }

    private static void Add<TModule>(Func<OnnxGraph<T>, TModule, OnnxValue<T>, OnnxValue<T>> emit) where TModule : Module<T> =>
        Emitters.Add(Key(typeof(TModule)), (g, m, x) => emit(g, (TModule)m, x));

    private static Type Key(Type type) => type.IsGenericType ? type.GetGenericTypeDefinition() : type;

    internal static bool TryGet(Module<T> module, out OnnxEmitter<T> emitter) => Emitters.TryGetValue(Key(module.GetType()), out emitter!);

    /// <summary>The mapped layers' names, for the message of an unsupported module.</summary>
    internal static IEnumerable<string> Names => Emitters.Keys.Select(t => t.Name.Split('`')[0]);

    private static Func<OnnxGraph<T>, Module<T>, OnnxValue<T>, OnnxValue<T>> Unary(string opType) =>
        (g, m, x) => g.Node(opType, [x.Name], m.Forward(x.Sample));

    private static OnnxAttribute AxisAttribute(OnnxValue<T> x, int axis, string op) => OnnxAttribute.Int("axis", x.Shape.NormalizeAxis(axis, op));

    // ONNX attributes are 32-bit floats: a float64 model's slope goes in a double initializer through PRelu instead,
    // so that it is not rounded.
    private static OnnxValue<T> LeakyRelu(OnnxGraph<T> g, LeakyReLU<T> m, OnnxValue<T> x)
    {
        if (typeof(T) == typeof(float)) return g.Node("LeakyRelu", [x.Name], m.Forward(x.Sample), OnnxAttribute.Float("alpha", m.NegativeSlope));
        var slope = Tensor.Scalar(T.CreateChecked(m.NegativeSlope));
        return g.Node("PRelu", [x.Name, g.Initializer("slope", slope)], m.Forward(x.Sample));
    }

    private static OnnxValue<T> Sequential(OnnxGraph<T> g, Sequential<T> sequential, OnnxValue<T> x)
    {
        foreach (var layer in sequential) x = g.Export(layer, x);
        return x;
    }

    // Gemm computes A·Bᵀ + C with transB = 1, which is our layout (weight [out, in], like PyTorch's); it takes
    // matrices only, so inputs of another rank go through MatMul with the transposed weight (folded once by runtimes).
    private static OnnxValue<T> Linear(OnnxGraph<T> g, Linear<T> linear, OnnxValue<T> x)
    {
        var y = linear.Forward(x.Sample);
        string weight = g.Parameter(linear.Weight);
        string? bias = linear.Bias is { } b ? g.Parameter(b) : null;
        if (x.Shape.Rank == 2)
        {
            string[] inputs = bias is null ? [x.Name, weight] : [x.Name, weight, bias];
            return g.Node("Gemm", inputs, y, OnnxAttribute.Int("transB", 1));
        }

        var transposed = g.Node("Transpose", [weight], linear.Weight.Transpose(), OnnxAttribute.Ints("perm", 1, 0));
        if (bias is null) return g.Node("MatMul", [x.Name, transposed.Name], y);
        var product = g.Node("MatMul", [x.Name, transposed.Name], x.Sample.Linear(linear.Weight));
        return g.Node("Add", [product.Name, bias], y);
    }

    // ONNX's Flatten always gives a matrix [d0·…·d(a−1), da·…]; ours keeps the leading axes, so it is Flatten only
    // for axis 1 and a Reshape to [0, …, 0, −1] (0 copies that input axis, including the dynamic batch) otherwise.
    private static OnnxValue<T> Flatten(OnnxGraph<T> g, Flatten<T> flatten, OnnxValue<T> x)
    {
        int a = x.Shape.NormalizeAxis(flatten.StartAxis, "Flatten");
        var y = flatten.Forward(x.Sample);
        if (a == 1) return g.Node("Flatten", [x.Name], y, OnnxAttribute.Int("axis", 1));
        if (a == x.Shape.Rank - 1) return x;  // merging the last axis alone changes nothing
        var shape = new long[a + 1];
        shape[a] = -1;
        return g.Node("Reshape", [x.Name, g.Int64Initializer("shape", shape)], y);
    }

    // Reshape to [0, …, 0, sizes…, trailing dimensions]: 0 copies an input axis (the dynamic batch among them).
    private static OnnxValue<T> Unflatten(OnnxGraph<T> g, Unflatten<T> unflatten, OnnxValue<T> x)
    {
        int a = x.Shape.NormalizeAxis(unflatten.Axis, "Unflatten");
        var shape = new List<long>();
        for (int i = 0; i < a; i++) shape.Add(0);
        foreach (int size in unflatten.Sizes) shape.Add(size);
        for (int i = a + 1; i < x.Shape.Rank; i++) shape.Add(x.Shape[i]);
        return g.Node("Reshape", [x.Name, g.Int64Initializer("shape", [.. shape])], unflatten.Forward(x.Sample));
    }

    // ONNX's pads list every spatial axis's start, then every axis's end: [top, left, bottom, right] in 2-D.
    private static OnnxValue<T> Conv(OnnxGraph<T> g, OnnxValue<T> x, Tensor<T> y, Tensor<T> weight, Tensor<T>? bias, long[] kernel, long[] stride,
        long[] padding, long[] dilation, int groups)
    {
        string w = g.Parameter(weight);
        string[] inputs = bias is null ? [x.Name, w] : [x.Name, w, g.Parameter(bias)];
        return g.Node("Conv", inputs, y, OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", stride),
            OnnxAttribute.Ints("pads", [.. padding, .. padding]), OnnxAttribute.Ints("dilations", dilation), OnnxAttribute.Int("group", groups));
    }

    private static OnnxAttribute[] PoolAttributes(Pool2d<T> pool) =>
    [
        OnnxAttribute.Ints("kernel_shape", pool.KernelSize.Height, pool.KernelSize.Width),
        OnnxAttribute.Ints("strides", pool.Stride.Height, pool.Stride.Width),
        OnnxAttribute.Ints("pads", pool.Padding.Height, pool.Padding.Width, pool.Padding.Height, pool.Padding.Width),
    ];

    // Evaluation mode (the export's): the running statistics as initializers. ONNX requires scale and bias, so a layer
    // without affine parameters gets ones and zeros. ε is a 32-bit float attribute.
    private static OnnxValue<T> BatchNorm(OnnxGraph<T> g, BatchNorm<T> norm, OnnxValue<T> x)
    {
        string scale = norm.Weight is { } w ? g.Parameter(w) : g.Initializer("weight", Tensor.Ones<T>(norm.NumFeatures));
        string bias = norm.Bias is { } b ? g.Parameter(b) : g.Initializer("bias", Tensor.Zeros<T>(norm.NumFeatures));
        return g.Node("BatchNormalization", [x.Name, scale, bias, g.Initializer("running_mean", norm.RunningMean), g.Initializer("running_var", norm.RunningVar)],
            norm.Forward(x.Sample), OnnxAttribute.Float("epsilon", norm.Eps), OnnxAttribute.Float("momentum", 1 - norm.Momentum));
    }

    // LayerNormalization (opset 17) normalizes from `axis` to the end; its scale is required (ones without affine).
    private static OnnxValue<T> LayerNorm(OnnxGraph<T> g, LayerNorm<T> norm, OnnxValue<T> x)
    {
        var shape = norm.NormalizedShape.ToArray();
        string scale = norm.Weight is { } w ? g.Parameter(w) : g.Initializer("weight", Tensor.Ones<T>(shape));
        string[] inputs = norm.Bias is { } b ? [x.Name, scale, g.Parameter(b)] : [x.Name, scale];
        return g.Node("LayerNormalization", inputs, norm.Forward(x.Sample),
            OnnxAttribute.Int("axis", x.Shape.Rank - shape.Length), OnnxAttribute.Float("epsilon", norm.Eps));
    }

    // The indices arrive as whole numbers in the model's float type (the graph input is float): Cast to int64, then
    // Gather the weight's rows.
    private static OnnxValue<T> Embedding(OnnxGraph<T> g, Embedding<T> embedding, OnnxValue<T> x)
    {
        var indices = g.Node("Cast", [x.Name], x.Sample, OnnxAttribute.Int("to", (long)Proto.TensorProto.Types.DataType.Int64));
        return g.Node("Gather", [g.Parameter(embedding.Weight), indices.Name], embedding.Forward(x.Sample), OnnxAttribute.Int("axis", 0));
    }
}
