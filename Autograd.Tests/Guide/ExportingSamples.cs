using Autograd.Nn;
using Autograd.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Autograd.Tests.Guide;

#region residual-onnx
/// <summary>y = x + ReLU(Linear(x)): a module with its own Forward, so it tells the exporter its ONNX nodes.</summary>
sealed class ResidualBlock : Module<float>, IOnnxExportable<float>
{
    private readonly Linear<float> _linear;

    public ResidualBlock(int width, Rng rng) => _linear = RegisterModule("linear", new Linear<float>(width, width, rng: rng));

    public override Tensor<float> Forward(Tensor<float> x) => x + _linear.Call(x).Relu();

    // Each node gets its value on the sample input, computed with the library's ops; the exporter checks the shapes.
    public OnnxValue<float> ExportOnnx(OnnxGraph<float> graph, OnnxValue<float> x)
    {
        var h = graph.Export(_linear, x);                        // a child: through the exporter's layer table
        var r = graph.Node("Relu", [h.Name], h.Sample.Relu());
        return graph.Node("Add", [x.Name, r.Name], x.Sample + r.Sample);
    }
}
#endregion

/// <summary>The method-body samples of docs/guide/exporting.md.</summary>
internal static class ExportingSamples
{
    public static (float[] OnnxLogits, Tensor<float> OurLogits) ExportAndRun(string path, Tensor<float> images)
    {
        #region onnx
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(
            new Linear<float>(784, 64, rng: rng), new ReLU<float>(), new ResidualBlock(64, rng),
            new Linear<float>(64, 10, rng: rng), new LogSoftmax<float>());
        // … train it, then: one sample fixes every axis but the batch axis, which stays dynamic.
        model.ExportOnnx(path, sampleInput: images.Slice(0, 1));

        // Run the file with ONNX Runtime (NuGet: Microsoft.ML.OnnxRuntime) on a batch of another size.
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(images.ToArray(), [images.Shape[0], 784]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [input], ["output"]);
        float[] onnxLogits = outputs[0].GetTensorDataAsSpan<float>().ToArray();   // [N, 10], row-major
        #endregion
        model.Eval();
        using (Grad.NoGrad()) return (onnxLogits, model.Forward(images));
    }
}
