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

    public static (double Loss, double Accuracy) Evaluate(Module<float> model, Dataset<float> data, LossFunction loss)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        double lossSum = 0; long correct = 0;
        using (Grad.NoGrad())
        {
            foreach (var batch in new DataLoader<float>(data, EvalBatch, shuffle: false).Epoch(0))
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
}
