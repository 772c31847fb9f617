using Autograd.Benchmarks.Networks;
using Autograd.Benchmarks.Suites;
using Autograd.Nn;

namespace Autograd.Tests.Benchmarks;

/// <summary>
/// The flop counts behind the GFLOP/s column of the CNN and PINN step suites agree with counts made independently:
/// the CNN's layer-by-layer hand count (docs/BENCHMARKS.md, "The step's arithmetic"), the MLP formula of the same
/// document, and PyTorch's profiler on the same PINN step.
/// </summary>
public class StepCaseTests
{
    [Test]
    public void CnnCaseCountsTheConvolutionAndLinearProductsOfTheStep()
    {
        var cnn = CnnStepBenchmarks.Cases().Single();
        // conv1 225,792·2 (no input gradient), conv2 3,612,672·3, fc1 401,408·3, fc2 1,280·3 per sample.
        Assert.That(cnn.MultiplyAdds, Is.EqualTo(64L * 12_497_664));
        Assert.That(cnn.Flops / cnn.Batch, Is.EqualTo(24.995e6).Within(1e3));
    }

    [Test]
    public void TrainingCountOfAnMlpIsForwardTwiceForTheFirstLayerAndThriceForTheOthers()
    {
        var rng = new Rng(1);
        var mlp2 = new Sequential<float>(new Linear<float>(784, 196, rng: rng), new ReLU<float>(), new Linear<float>(196, 10, rng: rng));
        long count = StepCase.TrainingMultiplyAdds(mlp2, Tensor.Zeros<float>(64, 784));
        Assert.That(count, Is.EqualTo(64L * (2 * 784 * 196 + 3 * 196 * 10)));
    }

    [Test]
    public void PinnCaseAgreesWithPyTorchsProfilerOnTheSameStep()
    {
        // torch.profiler (record_shapes, with_flops), PyTorch 1.13, one step of tools/peers/pinn_torch.py: the flops of
        // every aten::mm and aten::addmm sum to 1,634,944.
        Assert.That(PinnStepBenchmarks.Cases().Single().Flops, Is.EqualTo(1_634_944));
    }
}
