using Autograd.Nn;

namespace Autograd.Tests.Resume;

/// <summary>
/// BatchNorm1d over [N, C] as torch.nn.BatchNorm1d defines it, the smallest module with buffers (the library's BatchNorm
/// is written elsewhere): batch statistics in training (biased variance to normalize, unbiased in the running average,
/// momentum 0.1), running statistics in evaluation; PyTorch's names weight, bias, running_mean, running_var,
/// num_batches_tracked.
/// </summary>
public sealed class TestBatchNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double Momentum = 0.1, Eps = 1e-5;

    public Tensor<T> Weight { get; }
    public Tensor<T> Bias { get; }
    public Tensor<T> RunningMean { get; }
    public Tensor<T> RunningVar { get; }
    public Int64Buffer NumBatchesTracked { get; }

    public TestBatchNorm(int features)
    {
        Weight = RegisterParameter("weight", NewParameter(features));
        Weight.AsSpan().Fill(T.One);
        Bias = RegisterParameter("bias", NewParameter(features));
        RunningMean = RegisterBuffer("running_mean", NewParameter(features));
        RunningVar = RegisterBuffer("running_var", NewParameter(features));
        RunningVar.AsSpan().Fill(T.One);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", new Int64Buffer());
    }

    public override Tensor<T> Forward(Tensor<T> x)
    {
        var eps = T.CreateChecked(Eps);
        if (!IsTraining) return (x - RunningMean) / (RunningVar + eps).Sqrt() * Weight + Bias;
        var mean = x.Mean(axis: 0);
        var centered = x - mean;
        var variance = centered.Square().Mean(axis: 0);
        int n = x.Shape[0];
        var m = T.CreateChecked(Momentum);
        var unbiased = T.CreateChecked(n / (n - 1.0));
        Span<T> runningMean = RunningMean.AsSpan(), runningVar = RunningVar.AsSpan();
        ReadOnlySpan<T> batchMean = mean.AsReadOnlySpan(), batchVar = variance.AsReadOnlySpan();
        for (int c = 0; c < runningMean.Length; c++)
        {
            runningMean[c] = (T.One - m) * runningMean[c] + m * batchMean[c];
            runningVar[c] = (T.One - m) * runningVar[c] + m * batchVar[c] * unbiased;
        }
        NumBatchesTracked.Value++;
        return centered / (variance + eps).Sqrt() * Weight + Bias;
    }
}
