using Autograd.Nn;

namespace Autograd.Tests.Guide;

/// <summary>The samples of docs/guide/performance.md.</summary>
internal static class PerformanceSamples
{
    public static (long WithScope, long WithoutScope) AllocationPerStep(Tensor<float> x, int[] labels)
    {
        #region allocation
        // Bytes allocated per training step, with and without a TensorScope around the step.
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(
            new Linear<float>(784, 128, rng: rng), new ReLU<float>(), new Linear<float>(128, 10, rng: rng));
        var optimizer = new Sgd<float>(model.Parameters(), lr: 0.01, momentum: 0.9);

        void Step()
        {
            var loss = model.Forward(x).CrossEntropy(labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }

        long BytesPerStep(bool scoped)
        {
            for (int i = 0; i < 5; i++) { using (TensorScope.Begin()) Step(); }   // warm-up: pools, momentum buffers
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                if (scoped) { using (TensorScope.Begin()) Step(); }
                else Step();
            }
            return (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        }

        long withScope = BytesPerStep(scoped: true);      // the Tensor objects only: 384 bytes here
        long withoutScope = BytesPerStep(scoped: false);  // every activation and gradient buffer: 71,936
        Console.WriteLine($"{withScope:N0} vs {withoutScope:N0} bytes per step");
        #endregion
        return (withScope, withoutScope);
    }

    public static (double MaxDifference, Tensor<double> Loss64) Float32AgainstFloat64(Tensor<float> x, int[] labels)
    {
        #region precision
        // The same network in float64, to check a float32 result (or to gradcheck a piece of it).
        var rng = new Rng(seed: 1);
        var model32 = new Sequential<float>(new Linear<float>(784, 32, rng: rng), new Tanh<float>(), new Linear<float>(32, 10, rng: rng));
        var model64 = new Sequential<double>(new Linear<double>(784, 32), new Tanh<double>(), new Linear<double>(32, 10));
        foreach (var ((_, p32), (_, p64)) in model32.NamedParameters().Zip(model64.NamedParameters()))
            Tensor.Convert<float, double>(p32).AsReadOnlySpan().CopyTo(p64.AsSpan());

        var loss32 = model32.Forward(x).CrossEntropy(labels);
        var loss64 = model64.Forward(Tensor.Convert<float, double>(x)).CrossEntropy(labels);
        loss32.Backward();
        loss64.Backward();
        double maxDifference = model32.Parameters().Zip(model64.Parameters())
            .Max(p => p.First.Grad!.ToArray().Zip(p.Second.Grad!.ToArray()).Max(g => Math.Abs(g.First - g.Second)));
        #endregion
        return (maxDifference, loss64);
    }
}
