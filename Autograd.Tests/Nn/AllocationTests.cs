using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// The Nn layer must not add allocations to a training step: in steady state a step through modules, a loss object
/// with integer labels, Dropout, gradient clipping and the optimizer allocates no more than the same core ops called
/// directly (whose only allocations are the small per-op tensor objects; their storage is pooled by the scope).
/// </summary>
public class AllocationTests
{
    private static long BytesPerStep(Action step)
    {
        for (int i = 0; i < 20; i++) step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) step();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
    }

    [Test]
    public void ModulesLossesAndOptimizersAllocateNothingBeyondTheCoreOps()
    {
        var rng = new Rng(1);
        var l1 = new Linear<float>(20, 32, rng: rng);
        var l2 = new Linear<float>(32, 4, rng: rng);
        var model = new Sequential<float>(l1, new ReLU<float>(), new Dropout<float>(0.2, new Rng(2)), l2);
        var x = Tensor.Normal<float>(new Shape(16, 20), 0, 1, rng);
        var labels = Enumerable.Range(0, 16).Select(i => i % 4).ToArray();
        var parameters = model.Parameters();
        var optimizer = new Adam<float>(parameters);
        Loss<float> loss = new MseLoss<float>();
        var mask = new Rng(3);

        long core = BytesPerStep(() =>
        {
            using var scope = TensorScope.Begin();
            var h = x.Linear(l1.Weight, l1.Bias).Relu();
            var m = Tensor.Empty<float>(h.Shape);
            m.AsSpan().Fill(1.25f);
            var target = Tensor.Empty<float>(new Shape(16, 4));
            target.AsSpan().Clear();
            (h * m).Linear(l2.Weight, l2.Bias).MseLoss(target).Backward();
        });
        long nn = BytesPerStep(() =>
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            loss.Forward(model.Call(x), labels).Backward();
            GradClip.ClipGradNorm(parameters, 1.0);
            optimizer.Step();
        });
        TestContext.Out.WriteLine($"core ops: {core} bytes/step, through Nn: {nn} bytes/step");
        Assert.That(nn, Is.LessThanOrEqualTo(core));
    }

    /// <summary>
    /// A steady-state training step of the Examples' CNN (convolutions, max pooling, BatchNorm, SGD with momentum) inside a
    /// TensorScope allocates no data buffers: only the Tensor object of each op result (views included) and BatchNorm's
    /// saved statistics. Convolution scratch, gradients, pooling indices and nodes are pooled or reused. The bound allows
    /// 128 bytes per object; one leaked buffer of the smallest activation ([16, 64, 7, 7] floats, 200 KB) would exceed it.
    /// </summary>
    [TestCase(false, 11)]
    [TestCase(true, 15)]
    public void ACnnTrainingStepAllocatesOnlyTensorObjects(bool batchNorm, int objects)
    {
        var saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 1;
        try
        {
            var rng = new Rng(1);
            var model = Autograd.Examples.Training.Models.Cnn(784, 10, batchNorm, rng);
            var optimizer = new Sgd<float>(model.Parameters(), lr: 0.01, momentum: 0.9);
            var x = Tensor.Uniform<float>(new Shape(16, 784), 0, 1, rng);
            var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
            long bytes = BytesPerStep(() =>
            {
                using var scope = TensorScope.Begin();
                optimizer.ZeroGrad();
                model.Forward(x).CrossEntropyLoss(labels).Backward();
                optimizer.Step();
            });
            TestContext.Out.WriteLine($"cnn{(batchNorm ? "-bn" : "")}: {bytes} bytes per step ({objects} tensor objects)");
            Assert.That(bytes, Is.LessThanOrEqualTo(128 * (objects + 1)));
        }
        finally { Parallelism.MaxThreads = saved; }
    }
}
