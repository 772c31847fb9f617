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
}
