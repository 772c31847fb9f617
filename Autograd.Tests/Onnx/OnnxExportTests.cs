using System.Runtime.InteropServices;
using Autograd.Examples.Training;
using Autograd.Nn;
using Autograd.Nn.Data;
using Autograd.Onnx;
using Autograd.Onnx.Proto;
using Autograd.Tests.Data;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using static Autograd.Tests.Onnx.OnnxRuntimeRunner;

namespace Autograd.Tests.Onnx;

/// <summary>Exported models run in ONNX Runtime and give the library's outputs, at batch sizes other than the sample's.</summary>
public class OnnxExportTests
{
    private const double Float32Tolerance = 1e-5, Float64Tolerance = 1e-12;

    /// <summary>Exports with <paramref name="sample"/>, runs every batch in ONNX Runtime and in eval mode here, and compares.</summary>
    private static double ExportAndCompare<T>(Module<T> model, Tensor<T> sample, IEnumerable<Tensor<T>> batches, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte[] onnx = model.ToOnnx(sample);
        model.Eval();
        double worst = 0;
        foreach (var x in batches)
        {
            Tensor<T> expected;
            using (Grad.NoGrad()) expected = model.Forward(x);
            var (values, shape) = Run(onnx, x);
            Assert.That(shape, Is.EqualTo(expected.Shape.ToArray()), $"output shape for the input {x.Shape}");
            double difference = RelativeDifference<T>(values, expected.AsReadOnlySpan());
            Assert.That(difference, Is.LessThanOrEqualTo(tolerance), $"relative difference for the input {x.Shape}");
            worst = Math.Max(worst, difference);
        }
        TestContext.Out.WriteLine($"{model.TypeName}<{typeof(T).Name}>: max relative difference {worst:E2}");
        return worst;
    }

    private static Tensor<T> Normal<T>(Rng rng, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        Tensor.Normal<T>(new Shape(shape), 0, 1, rng);

    private static Tensor<float> Digits(int start, int count)
    {
        var (_, test) = BundledDigits.Load<float>();
        return test.Subset(Enumerable.Range(start, count).ToArray()).FeaturesTensor();
    }

    public static IEnumerable<string> ExampleModels => ["mlp1", "mlp2", "deep"];

    [TestCaseSource(nameof(ExampleModels))]
    public void ExamplesModelsMatchOnDigitsAtOtherBatchSizes(string name)
    {
        var model = Models.All.Single(r => r.Name == name).Model(784, 10, new Rng(3));
        // The recipes start with zero biases: give them values so that the bias inputs are checked too.
        var rng = new Rng(4);
        foreach (var (parameter, p) in model.NamedParameters())
            if (parameter.EndsWith(".bias", StringComparison.Ordinal)) Init.Uniform(p, -0.5, 0.5, rng);

        ExportAndCompare(model, Digits(0, 1), [Digits(1, 1), Digits(2, 7), Digits(9, 64)], Float32Tolerance);
    }

    [Test]
    public void Mlp2GraphIsGemmReluGemmWithNamedInitializersAndADynamicBatch()
    {
        var model = Models.Mlp2.Model(784, 10, new Rng(1));
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Digits(0, 3)));

        Assert.That(proto.OpsetImport.Single().Version, Is.EqualTo(OnnxExporter.OpsetVersion));
        Assert.That(proto.IrVersion, Is.EqualTo(OnnxExporter.IrVersion));
        var graph = proto.Graph;
        Assert.That(graph.Node.Select(n => n.OpType), Is.EqualTo(new[] { "Gemm", "Relu", "Gemm" }));
        Assert.That(graph.Node.Select(n => n.Name), Is.EqualTo(new[] { "/0/Gemm", "/1/Relu", "/2/Gemm" }));
        Assert.That(graph.Node[0].Attribute.Single(a => a.Name == "transB").I, Is.EqualTo(1));
        Assert.That(graph.Node[2].Output.Single(), Is.EqualTo("output"));
        Assert.That(graph.Initializer.Select(t => t.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(graph.Initializer[0].Dims, Is.EqualTo(new long[] { 196, 784 }));
        Assert.That(graph.Initializer[0].DataType, Is.EqualTo((int)TensorProto.Types.DataType.Float));
        Assert.That(graph.Initializer[0].RawData.Length, Is.EqualTo(196 * 784 * sizeof(float)));

        using var session = new InferenceSession(proto.ToByteArray());
        var input = session.InputMetadata["input"];
        Assert.That(input.Dimensions, Is.EqualTo(new[] { -1, 784 }));
        Assert.That(input.SymbolicDimensions[0], Is.EqualTo(OnnxExporter.BatchDimension));
        var output = session.OutputMetadata["output"];
        Assert.That(output.Dimensions, Is.EqualTo(new[] { -1, 10 }));
        Assert.That(output.SymbolicDimensions[0], Is.EqualTo(OnnxExporter.BatchDimension));
    }

    private static Sequential<T> ActivationZoo<T>(Rng rng, Module<T> last) where T : unmanaged, IFloatingPointIeee754<T> =>
    [
        new Linear<T>(12, 16, rng: rng), new Sigmoid<T>(),
        new Linear<T>(16, 16, rng: rng), new Tanh<T>(),
        new Linear<T>(16, 16, bias: false, rng: rng), new LeakyReLU<T>(0.2),
        new Dropout<T>(0.5, rng), new Identity<T>(),
        new Linear<T>(16, 16, rng: rng), new ReLU<T>(),
        new Linear<T>(16, 5, rng: rng), last,
    ];

    [Test]
    public void EveryActivationAndSoftmaxMatchInFloat32()
    {
        var rng = new Rng(5);
        ExportAndCompare(ActivationZoo<float>(rng, new Softmax<float>()), Normal<float>(rng, 3, 12),
            [Normal<float>(rng, 1, 12), Normal<float>(rng, 5, 12), Normal<float>(rng, 33, 12)], Float32Tolerance);
        ExportAndCompare(ActivationZoo<float>(rng, new LogSoftmax<float>()), Normal<float>(rng, 3, 12),
            [Normal<float>(rng, 2, 12), Normal<float>(rng, 17, 12)], Float32Tolerance);
    }

    [Test]
    public void Float64ModelsExportDoubleInitializersAndMatch()
    {
        var rng = new Rng(6);
        var model = ActivationZoo<double>(rng, new LogSoftmax<double>());
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<double>(rng, 2, 12)));
        Assert.That(proto.Graph.Initializer.Select(t => t.DataType), Is.All.EqualTo((int)TensorProto.Types.DataType.Double));
        Assert.That(proto.Graph.Node.Select(n => n.OpType), Does.Contain("PRelu"), "the slope as a double, not a float attribute");
        Assert.That(proto.Graph.Initializer.Select(t => t.Name), Does.Contain("5.slope"));

        ExportAndCompare(model, Normal<double>(rng, 2, 12), [Normal<double>(rng, 1, 12), Normal<double>(rng, 9, 12)], Float64Tolerance);
    }

    [Test]
    public void FlattenOfImagesMatches()
    {
        var rng = new Rng(7);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(24, 5, rng: rng), new LogSoftmax<float>());
        ExportAndCompare(model, Normal<float>(rng, 2, 2, 3, 4), [Normal<float>(rng, 1, 2, 3, 4), Normal<float>(rng, 6, 2, 3, 4)], Float32Tolerance);
    }

    [Test]
    public void LinearOverARank3InputAndFlattenFromAxis2Match()
    {
        var rng = new Rng(8);
        var model = new Sequential<float>(
            new Flatten<float>(2), new Linear<float>(12, 5, rng: rng), new Softmax<float>(axis: 1),
            new Flatten<float>(-1), new Linear<float>(5, 4, bias: false, rng: rng), new Tanh<float>());
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<float>(rng, 3, 2, 3, 4)));
        Assert.That(proto.Graph.Node.Select(n => n.OpType),
            Is.EqualTo(new[] { "Reshape", "Transpose", "MatMul", "Add", "Softmax", "Transpose", "MatMul", "Tanh" }));
        var reshapeTo = proto.Graph.Initializer.Single(t => t.Name == "0.shape");
        Assert.That(MemoryMarshal.Cast<byte, long>(reshapeTo.RawData.Span).ToArray(), Is.EqualTo(new long[] { 0, 0, -1 }));

        ExportAndCompare(model, Normal<float>(rng, 3, 2, 3, 4), [Normal<float>(rng, 1, 2, 3, 4), Normal<float>(rng, 8, 2, 3, 4)], Float32Tolerance);
    }

    [Test]
    public void FlattenOfTheBatchAxisLeavesTheOutputSizeUnknown()
    {
        var rng = new Rng(9);
        var model = new Sequential<float>(new Linear<float>(4, 3, rng: rng), new Flatten<float>(0));
        var output = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<float>(rng, 2, 4))).Graph.Output.Single();
        var dim = output.Type.TensorType.Shape.Dim.Single();
        Assert.That(dim.HasDimValue || dim.HasDimParam, Is.False);

        ExportAndCompare(model, Normal<float>(rng, 2, 4), [Normal<float>(rng, 5, 4)], Float32Tolerance);
    }

    [Test]
    public void AModelThatPassesItsInputThroughGetsAnIdentityNode()
    {
        var model = new Sequential<float>(new Dropout<float>(0.3), new Identity<float>());
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<float>(new Rng(1), 2, 3)));
        Assert.That(proto.Graph.Node.Single().OpType, Is.EqualTo("Identity"));

        var x = Normal<float>(new Rng(2), 4, 3);
        Assert.That(Run(proto.ToByteArray(), x).Values, Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void NestedContainersAndASharedLayerAreNamedByPathAndStoredOnce()
    {
        var rng = new Rng(10);
        var shared = new Linear<float>(6, 6, rng: rng);
        var model = new Sequential<float>(new Sequential<float>(shared, new ReLU<float>()), shared, new Sigmoid<float>());
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<float>(rng, 2, 6)));
        Assert.That(proto.Graph.Initializer.Select(t => t.Name), Is.EqualTo(new[] { "0.0.weight", "0.0.bias" }));
        Assert.That(proto.Graph.Node.Select(n => n.Name), Is.EqualTo(new[] { "/0/0/Gemm", "/0/1/Relu", "/0/0/Gemm_1", "/2/Sigmoid" }));

        ExportAndCompare(model, Normal<float>(rng, 2, 6), [Normal<float>(rng, 3, 6)], Float32Tolerance);
    }

    /// <summary>y = x + ReLU(Linear(x)): a skip connection, which it describes to the exporter itself.</summary>
    private sealed class ResidualBlock : Module<float>, IOnnxExportable<float>
    {
        private readonly Linear<float> _linear;

        public ResidualBlock(int width, Rng rng) => _linear = RegisterModule("linear", new Linear<float>(width, width, rng: rng));

        public override Tensor<float> Forward(Tensor<float> x) => x + _linear.Call(x).Relu();

        public OnnxValue<float> ExportOnnx(OnnxGraph<float> graph, OnnxValue<float> x)
        {
            var h = graph.Export(_linear, x);
            var r = graph.Node("Relu", [h.Name], h.Sample.Relu());
            return graph.Node("Add", [x.Name, r.Name], x.Sample + r.Sample);
        }
    }

    [Test]
    public void ACustomModuleThatDescribesItselfIsExported()
    {
        var rng = new Rng(11);
        var model = new Sequential<float>(
            new Linear<float>(8, 16, rng: rng), new ReLU<float>(), new ResidualBlock(16, rng), new ResidualBlock(16, rng), new Linear<float>(16, 3, rng: rng));
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Normal<float>(rng, 1, 8)));
        Assert.That(proto.Graph.Node.Select(n => n.Name), Does.Contain("/2/linear/Gemm").And.Contain("/2/Relu").And.Contain("/3/Add"));
        Assert.That(proto.Graph.Initializer.Select(t => t.Name), Does.Contain("3.linear.weight"));

        ExportAndCompare(model, Normal<float>(rng, 1, 8), [Normal<float>(rng, 4, 8), Normal<float>(rng, 50, 8)], Float32Tolerance);
    }

    /// <summary>Doubles its input with no ONNX mapping.</summary>
    private sealed class Twice : Module<float>
    {
        public override Tensor<float> Forward(Tensor<float> x) => x * 2f;
    }

    [Test]
    public void AnExamplesCustomNetworkWithoutAMappingIsNamed()
    {
        var model = Models.Residual.Model(784, 10, new Rng(1));
        var e = Assert.Throws<NotSupportedException>(() => model.ToOnnx(Digits(0, 1)));
        Assert.That(e!.Message, Does.StartWith("ONNX export: the model (type ResidualMlp) has no ONNX mapping"));
        Assert.That(e.Message, Does.Contain("IOnnxExportable"));
        Assert.That(model.IsTraining, Is.True, "the training mode is restored after a failed export");

        var nested = new Sequential<float>(new Linear<float>(784, 32), new Sequential<float>(new ReLU<float>(), new Twice()));
        e = Assert.Throws<NotSupportedException>(() => nested.ToOnnx(Digits(0, 1)));
        Assert.That(e!.Message, Does.StartWith("ONNX export: module '1.1' (type Twice) has no ONNX mapping"));
        Assert.That(e.Message, Does.Contain("Linear").And.Contain("Sequential"), "it lists what the exporter maps");
    }

    /// <summary>Describes itself wrongly: claims to be the identity while Forward halves the features.</summary>
    private sealed class WrongDescription : Module<float>, IOnnxExportable<float>
    {
        public override Tensor<float> Forward(Tensor<float> x) => x.Slice(0, 1);

        public OnnxValue<float> ExportOnnx(OnnxGraph<float> graph, OnnxValue<float> input) => input;
    }

    [Test]
    public void ADescriptionWhoseShapeDisagreesWithForwardIsRefused()
    {
        var model = new Sequential<float>(new Linear<float>(3, 3), new WrongDescription());
        var e = Assert.Throws<InvalidOperationException>(() => model.ToOnnx(Normal<float>(new Rng(1), 2, 3)));
        Assert.That(e!.Message, Does.Contain("module '1' (type WrongDescription)").And.Contain("[2, 3]").And.Contain("[1, 3]"));
    }

    [Test]
    public void TheSampleMustBeABatch()
    {
        var model = new Sequential<float>(new Linear<float>(4, 2));
        var e = Assert.Throws<ArgumentException>(() => model.ToOnnx(Tensor.Zeros<float>(4)));
        Assert.That(e!.Message, Does.Contain("[batch, …]").And.Contain("[4]"));
    }

    [Test]
    public void ExportRunsInEvalModeAndRestoresEachModulesMode()
    {
        var rng = new Rng(12);
        var dropout = new Dropout<float>(0.9, rng);
        var inner = new Sequential<float>(new Linear<float>(5, 5, rng: rng), dropout);
        var model = new Sequential<float>(inner, new Linear<float>(5, 2, rng: rng));
        model.Train();
        inner[0].Eval();

        // In training mode a 0.9 dropout would zero most activations: the file must be the eval-mode network.
        ExportAndCompare(model, Normal<float>(rng, 2, 5), [Normal<float>(rng, 7, 5)], Float32Tolerance);
        model.Train();
        inner[0].Eval();
        model.ToOnnx(Normal<float>(rng, 2, 5));
        Assert.That((model.IsTraining, inner.IsTraining, inner[0].IsTraining, dropout.IsTraining), Is.EqualTo((true, true, false, true)));
    }

    [Test]
    public void ExportOnnxWritesTheFileAtomicallyAndDeterministically()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "sub", "mlp1.onnx");
        var model = Models.Mlp1.Model(784, 10, new Rng(2));
        model.ExportOnnx(path, Digits(0, 2));
        model.ExportOnnx(path, Digits(0, 2));  // over an existing file

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(model.ToOnnx(Digits(0, 2))));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Is.EqualTo(new[] { path }), "no temporary file is left");

        string refused = Path.Combine(dir.Path, "residual.onnx");
        Assert.Throws<NotSupportedException>(() => Models.Residual.Model(784, 10, new Rng(1)).ExportOnnx(refused, Digits(0, 1)));
        Assert.That(File.Exists(refused), Is.False);
    }

    // ---- the convolutional layers (issue #13)

    // Trains a few steps first so that BatchNorm's running statistics and the biases are not their initial values.
    private static Sequential<float> Trained(Sequential<float> model, int features, int steps = 3)
    {
        var rng = new Rng(13);
        var optimizer = new Sgd<float>(model.Parameters(), lr: 0.01, momentum: 0.9);
        for (int i = 0; i < steps; i++)
        {
            var x = Tensor.Uniform<float>(new Shape(8, features), 0, 1, rng);
            optimizer.ZeroGrad();
            var y = model.Forward(x);
            y.CrossEntropyLoss(Enumerable.Range(0, 8).Select(i => i % y.Shape[1]).ToArray()).Backward();
            optimizer.Step();
        }
        return model;
    }

    [TestCase("cnn")]
    [TestCase("cnn-bn")]
    public void TheExamplesCnnsMatchOnDigits(string name)
    {
        var model = (Sequential<float>)Models.All.Single(r => r.Name == name).Model(784, 10, new Rng(3));
        Trained(model, 784);
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(Digits(0, 1)));
        var expected = name == "cnn"
            ? new[] { "Reshape", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm" }
            : ["Reshape", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"];
        Assert.That(proto.Graph.Node.Select(n => n.OpType), Is.EqualTo(expected));
        if (name == "cnn-bn")
            Assert.That(proto.Graph.Initializer.Select(t => t.Name), Does.Contain("2.running_mean").And.Contain("6.running_var"));
        ExportAndCompare(model, Digits(0, 1), [Digits(1, 1), Digits(2, 5), Digits(9, 33)], Float32Tolerance);
    }

    [Test]
    public void StridedDilatedGroupedConvolutionsPoolingAndBatchNormWithoutAffineMatch()
    {
        var rng = new Rng(14);
        var model = new Sequential<float>(
            new Conv2d<float>(4, 6, (3, 2), (2, 1), (1, 1), (1, 2), groups: 2, rng: rng), new BatchNorm2d<float>(6, affine: false), new ReLU<float>(),
            new Conv2d<float>(6, 6, 3, padding: 1, groups: 6, bias: false, rng: rng), new AvgPool2d<float>(3, stride: 2, padding: 1),
            new Conv2d<float>(6, 5, 1, rng: rng), new MaxPool2d<float>((2, 3), (1, 2), (1, 1)), new AdaptiveAvgPool2d<float>(), new Flatten<float>());
        Trained(new Sequential<float>(new Unflatten<float>(1, 4, 9, 8), model), 4 * 9 * 8);
        ExportAndCompare(model, Normal<float>(rng, 2, 4, 9, 8), [Normal<float>(rng, 1, 4, 9, 8), Normal<float>(rng, 5, 4, 9, 8)], Float32Tolerance);
    }

    [Test]
    public void Conv1dBatchNorm1dAndLayerNormMatch()
    {
        var rng = new Rng(15);
        var model = new Sequential<float>(
            new Conv1d<float>(3, 8, 5, stride: 2, padding: 2, dilation: 1, rng: rng), new BatchNorm1d<float>(8), new Tanh<float>(),
            new LayerNorm<float>(new[] { 8, 10 }), new Conv1d<float>(8, 4, 3, groups: 4, rng: rng), new LayerNorm<float>(8, elementwiseAffine: false),
            new Flatten<float>(), new BatchNorm1d<float>(32));
        Trained(new Sequential<float>(new Unflatten<float>(1, 3, 20), model), 60);
        ExportAndCompare(model, Normal<float>(rng, 2, 3, 20), [Normal<float>(rng, 1, 3, 20), Normal<float>(rng, 6, 3, 20)], Float32Tolerance);
    }

    [Test]
    public void EmbeddingIsACastAndAGatherOfItsRows()
    {
        var rng = new Rng(16);
        var model = new Sequential<float>(new Embedding<float>(7, 4, rng), new Flatten<float>(), new Linear<float>(12, 2, rng: rng));
        var tokens = (int n) => Tensor.FromArray(Enumerable.Range(0, 3 * n).Select(i => (float)(i * 5 % 7)).ToArray(), n, 3);
        var proto = ModelProto.Parser.ParseFrom(model.ToOnnx(tokens(1)));
        Assert.That(proto.Graph.Node.Select(n => n.OpType).Take(2), Is.EqualTo(new[] { "Cast", "Gather" }));
        ExportAndCompare(model, tokens(1), [tokens(2), tokens(9)], Float32Tolerance);
    }

    // ONNX Runtime's CPU provider has no double-precision Conv, AveragePool or GlobalAveragePool: the float64 file is checked for its types, and a float64
    // network of the other new layers is run.
    [Test]
    public void Float64ConvolutionalModelsExportDoublesAndTheirNormalizationAndPoolingMatch()
    {
        var rng = new Rng(17);
        var conv = new Sequential<double>(new Conv2d<double>(2, 3, 3, padding: 1, rng: rng), new BatchNorm2d<double>(3));
        var proto = ModelProto.Parser.ParseFrom(conv.ToOnnx(Normal<double>(rng, 2, 2, 6, 6)));
        Assert.That(proto.Graph.Initializer.Select(t => t.DataType), Is.All.EqualTo((int)TensorProto.Types.DataType.Double));
        Assert.That(proto.Graph.Node.Select(n => n.OpType), Is.EqualTo(new[] { "Conv", "BatchNormalization" }));

        var model = new Sequential<double>(
            new BatchNorm2d<double>(2), new ReLU<double>(), new MaxPool2d<double>(2),
            new LayerNorm<double>(new[] { 2, 3, 3 }), new Flatten<double>(), new Linear<double>(18, 4, rng: rng));
        model.Forward(Normal<double>(rng, 6, 2, 6, 6));   // a training step's running statistics
        ExportAndCompare(model, Normal<double>(rng, 2, 2, 6, 6), [Normal<double>(rng, 3, 2, 6, 6)], Float64Tolerance);
    }
}
