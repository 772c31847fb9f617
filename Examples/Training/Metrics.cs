using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>Accuracy and loss over a dataset, in evaluation mode and without recording.</summary>
internal static class Metrics
{
    // Large enough to run the products well, small enough that a CNN's activations for one batch stay small (at 1,000
    // images its first convolution's output alone takes 100 MB, which the buffer pool then keeps).
    private const int EvalBatch = 250;

    /// <summary>Rows of <paramref name="output"/> [N, C] whose largest entry is at the label.</summary>
    public static int CountCorrect(Tensor<float> output, int[] labels)
    {
        var values = output.AsReadOnlySpan();
        int classes = output.Shape[-1], correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (TensorPrimitives.IndexOfMax(values.Slice(i * classes, classes)) == labels[i]) correct++;
        return correct;
    }

    /// <summary>
    /// A loader for <see cref="Evaluate"/>: the set in order, in batches of 1000, so evaluation never needs the whole
    /// set as one features tensor. Keep it for the run: its batch buffer is reused from epoch to epoch.
    /// </summary>
    public static DataLoader<float> EvaluationLoader(Dataset<float> data) => new(data, EvalBatch, shuffle: false);

    public static (double Loss, double Accuracy) Evaluate(Module<float> model, DataLoader<float> loader, LossFunction loss)
    {
        var data = loader.Data;
        bool wasTraining = model.IsTraining;
        model.Eval();
        double lossSum = 0; long correct = 0;
        using (Grad.NoGrad())
        {
            foreach (var batch in loader.Epoch(0))
            {
                using var scope = TensorScope.Begin();
                var output = model.Forward(batch.X);
                lossSum += loss(output, batch).Item() * batch.Count;
                correct += CountCorrect(output, batch.Labels);
            }
        }
        model.Train(wasTraining);
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>
    /// The first 16 hex digits of the SHA-256 of every parameter's bytes, in order: equal digests mean bit-identical
    /// weights, so two builds (JIT and Native AOT) or two machines can be compared on one line.
    /// </summary>
    public static string WeightsDigest(Module<float> model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in model.Parameters()) hash.AppendData(MemoryMarshal.AsBytes(p.AsReadOnlySpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
