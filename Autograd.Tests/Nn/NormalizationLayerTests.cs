using Autograd.Nn;
using Autograd.Tests.Resume;

namespace Autograd.Tests.Nn;

/// <summary>
/// BatchNorm1d/2d and LayerNorm as layers: training against evaluation, the running-statistics update against values
/// worked out by hand, agreement with an independent BatchNorm written with elementwise ops, the buffers' save/load
/// round trip, and bad input named.
/// </summary>
public class NormalizationLayerTests
{
    // [N, C, H, W] = [2, 2, 1, 2]. Channel 0 holds 1, 3 | 5, 7: mean 4, biased variance 5, unbiased 20/3.
    // Channel 1 holds 2, 2 | 2, 10: mean 4, biased variance 12, unbiased 16.
    private static Tensor<double> Batch() => Tensor.FromArray(new[] { 1.0, 3, 2, 2, 5, 7, 2, 10 }, 2, 2, 1, 2);

    [Test]
    public void BatchNorm2dTrainingNormalizesWithTheBatchAndUpdatesTheRunningStatistics()
    {
        var norm = new BatchNorm2d<double>(2);
        var y = norm.Forward(Batch());
        double s0 = Math.Sqrt(5 + 1e-5), s1 = Math.Sqrt(12 + 1e-5);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -3 / s0, -1 / s0, -2 / s1, -2 / s1, 1 / s0, 3 / s0, -2 / s1, 6 / s1 }).Within(1e-12));
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(new[] { 0.1 * 4, 0.1 * 4 }).Within(1e-15));
        Assert.That(norm.RunningVar.ToArray(), Is.EqualTo(new[] { 0.9 + 0.1 * 20 / 3, 0.9 + 0.1 * 16 }).Within(1e-15));
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(1));

        // A second batch moves the averages again: running = 0.9·running + 0.1·batch.
        norm.Forward(Batch().Mul(2.0));
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(new[] { 0.9 * 0.4 + 0.1 * 8, 0.9 * 0.4 + 0.1 * 8 }).Within(1e-15));
        Assert.That(norm.RunningVar.ToArray(),
            Is.EqualTo(new[] { 0.9 * (0.9 + 0.1 * 20 / 3) + 0.1 * 80 / 3, 0.9 * 2.5 + 0.1 * 64 }).Within(1e-14));
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(2));
    }

    [Test]
    public void BatchNorm2dEvaluationUsesTheRunningStatisticsAndChangesNothing()
    {
        var norm = new BatchNorm2d<double>(2);
        new double[] { 2.0, 0.5 }.CopyTo(norm.Weight!.AsSpan());
        new double[] { 1.0, -1 }.CopyTo(norm.Bias!.AsSpan());
        norm.Forward(Batch());
        double[] mean = norm.RunningMean.ToArray(), variance = norm.RunningVar.ToArray();

        norm.Eval();
        var x = Batch();
        var y = norm.Forward(x).ToArray();
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(mean));
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(1), "evaluation does not count batches");
        double[] gamma = [2.0, 0.5], beta = [1.0, -1];
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 2 % 2;
            Assert.That(y[i], Is.EqualTo((xs[i] - mean[c]) / Math.Sqrt(variance[c] + 1e-5) * gamma[c] + beta[c]).Within(1e-12), $"element {i}");
        }
        // Evaluation of one sample works (training needs more than one value per channel).
        Assert.That(norm.Forward(x.Slice(0, 1)).ToArray(), Is.EqualTo(y[..4]).Within(1e-15));

        norm.Train();
        Assert.That(norm.Forward(x).ToArray(), Is.Not.EqualTo(y), "Train() switches back to batch statistics");
    }

    // TestBatchNorm (beside the resume run) is BatchNorm1d written with Mean, Sub, Sqrt and Div: outputs, gradients and
    // running statistics must agree with the fused op, in training and in evaluation.
    [Test]
    public void BatchNorm1dAgreesWithAnElementwiseOpsImplementation()
    {
        var rng = new Rng(3);
        var fused = new BatchNorm1d<double>(4);
        var reference = new TestBatchNorm<double>(4);
        var gamma = Tensor.Uniform<double>(new Shape(4), 0.5, 1.5, rng);
        var beta = Tensor.Uniform<double>(new Shape(4), -1, 1, rng);
        gamma.AsReadOnlySpan().CopyTo(fused.Weight!.AsSpan()); gamma.AsReadOnlySpan().CopyTo(reference.Weight.AsSpan());
        beta.AsReadOnlySpan().CopyTo(fused.Bias!.AsSpan()); beta.AsReadOnlySpan().CopyTo(reference.Bias.AsSpan());
        foreach (bool training in new[] { true, true, false })
        {
            fused.Train(training); reference.Train(training);
            var x1 = Tensor.Normal<double>(new Shape(6, 4), 3, 2, rng);
            var x2 = x1.Clone();
            x1.RequiresGrad = x2.RequiresGrad = true;
            var weights = Tensor.Uniform<double>(new Shape(6, 4), -1, 1, rng);
            var y1 = fused.Forward(x1); var y2 = reference.Forward(x2);
            Assert.That(y1.ToArray(), Is.EqualTo(y2.ToArray()).Within(1e-12), $"y (training {training})");
            y1.Mul(weights).Sum().Backward(); y2.Mul(weights).Sum().Backward();
            Assert.That(x1.Grad!.ToArray(), Is.EqualTo(x2.Grad!.ToArray()).Within(1e-12), "dx");
            Assert.That(fused.Weight!.Grad!.ToArray(), Is.EqualTo(reference.Weight.Grad!.ToArray()).Within(1e-12), "dγ");
            Assert.That(fused.Bias!.Grad!.ToArray(), Is.EqualTo(reference.Bias.Grad!.ToArray()).Within(1e-12), "dβ");
            Assert.That(fused.RunningMean.ToArray(), Is.EqualTo(reference.RunningMean.ToArray()).Within(1e-14), "running_mean");
            Assert.That(fused.RunningVar.ToArray(), Is.EqualTo(reference.RunningVar.ToArray()).Within(1e-14), "running_var");
            fused.ZeroGrad(); reference.ZeroGrad();
        }
    }

    [Test]
    public void BatchNorm1dTakesSequencesAndBatchNormWithoutAffineHasNoParameters()
    {
        var norm = new BatchNorm1d<double>(2, affine: false);
        Assert.That(norm.Parameters(), Is.Empty);
        Assert.That(norm.NamedBuffers().Select(b => b.Key), Is.EqualTo(new[] { "running_mean", "running_var" }));
        var x = Tensor.FromArray(new[] { 1.0, 3, 0, 0, 5, 7, 0, 4 }, 2, 2, 2);   // [N, C, L]: channel 0 mean 4, channel 1 mean 1
        norm.Forward(x);
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(new[] { 0.4, 0.1 }).Within(1e-15));
    }

    [Test]
    public void BatchNormBuffersRoundTripThroughAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            var source = new Sequential<float>(new Conv2d<float>(2, 3, 3, padding: 1, rng: new Rng(1)), new BatchNorm2d<float>(3));
            var x = Tensor.Normal<float>(new Shape(4, 2, 5, 5), 0, 1, new Rng(2));
            for (int i = 0; i < 3; i++) source.Forward(x.Mul(1f + i));
            source.Save(path);
            var target = new Sequential<float>(new Conv2d<float>(2, 3, 3, padding: 1, rng: new Rng(9)), new BatchNorm2d<float>(3));
            target.Load(path);
            var (s, t) = ((BatchNorm2d<float>)source[1], (BatchNorm2d<float>)target[1]);
            Assert.That(t.RunningMean.ToArray(), Is.EqualTo(s.RunningMean.ToArray()));
            Assert.That(t.RunningVar.ToArray(), Is.EqualTo(s.RunningVar.ToArray()));
            Assert.That(t.NumBatchesTracked.Value, Is.EqualTo(3));
            source.Eval(); target.Eval();
            Assert.That(target.Forward(x).ToArray(), Is.EqualTo(source.Forward(x).ToArray()));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void BadInputToBatchNormIsNamed()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm2d<float>(3).Forward(Tensor.Zeros<float>(4, 3)))!.Message,
            Does.StartWith("BatchNorm2d:").And.Contain("[N, C, H, W] with C = 3, got [4, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm1d<float>(3).Forward(Tensor.Zeros<float>(4, 5)))!.Message,
            Does.StartWith("BatchNorm1d:").And.Contain("C = 3, got [4, 5]"));
        var single = new BatchNorm1d<float>(3);
        Assert.That(Assert.Throws<ArgumentException>(() => single.Forward(Tensor.Zeros<float>(1, 3)))!.Message,
            Does.StartWith("BatchNorm:").And.Contain("more than one value per channel"));
        Assert.That(single.NumBatchesTracked.Value, Is.Zero, "a refused batch is not counted");
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(4, 3).BatchNorm(Tensor.Zeros<float>(2), Tensor.Ones<float>(3)))!.Message,
            Does.StartWith("BatchNorm:").And.Contain("running_mean must be [3]").And.Contain("got [2]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(4, 3).BatchNorm(null, null))!.Message,
            Does.Contain("running_mean and running_var are needed"));
    }

    [Test]
    public void LayerNormNormalizesEachRowOverTheTrailingAxes()
    {
        var norm = new LayerNorm<double>([2, 2]);
        Assert.That(norm.NamedParameters().Select(p => (p.Key, p.Value.Shape.ToString())), Is.EqualTo(new[] { ("weight", "[2, 2]"), ("bias", "[2, 2]") }));
        new double[] { 1.0, 2, 3, 4 }.CopyTo(norm.Weight!.AsSpan());
        norm.Bias!.AsSpan().Fill(0.5);
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 10, 10, 10, 14 }, 2, 2, 2);
        var y = norm.Forward(x).ToArray();
        // Row 0: mean 2.5, variance 1.25; row 1: mean 11, variance 3.
        double s0 = Math.Sqrt(1.25 + 1e-5), s1 = Math.Sqrt(3 + 1e-5);
        Assert.That(y, Is.EqualTo(new[]
        {
            -1.5 / s0 * 1 + 0.5, -0.5 / s0 * 2 + 0.5, 0.5 / s0 * 3 + 0.5, 1.5 / s0 * 4 + 0.5,
            -1 / s1 * 1 + 0.5, -1 / s1 * 2 + 0.5, -1 / s1 * 3 + 0.5, 3 / s1 * 4 + 0.5,
        }).Within(1e-12));
        Assert.That(Assert.Throws<ArgumentException>(() => norm.Forward(Tensor.Zeros<double>(2, 3)))!.Message,
            Does.StartWith("LayerNorm:").And.Contain("input [2, 3], normalized shape [2, 2]"));
    }
}
