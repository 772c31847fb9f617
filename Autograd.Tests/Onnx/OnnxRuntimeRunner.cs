using Microsoft.ML.OnnxRuntime;

namespace Autograd.Tests.Onnx;

/// <summary>Runs an exported model in ONNX Runtime and compares it with the library's forward pass.</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>The model's "output" for <paramref name="input"/>, with its shape.</summary>
    public static (T[] Values, int[] Shape) Run<T>(byte[] model, Tensor<T> input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input.ToArray(), input.Shape.ToArray().Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [value], ["output"]);
        var output = outputs[0];
        return (output.GetTensorDataAsSpan<T>().ToArray(), output.GetTensorTypeAndShape().Shape.Select(d => checked((int)d)).ToArray());
    }

    /// <summary>
    /// max |onnx − ours| / max |ours|: the error relative to the output's scale (an elementwise ratio would divide
    /// by the near-zero logits that every network has).
    /// </summary>
    public static double RelativeDifference<T>(ReadOnlySpan<T> onnx, ReadOnlySpan<T> ours) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.That(onnx.Length, Is.EqualTo(ours.Length));
        double diff = 0, scale = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(double.CreateChecked(onnx[i]) - double.CreateChecked(ours[i])));
            scale = Math.Max(scale, Math.Abs(double.CreateChecked(ours[i])));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
