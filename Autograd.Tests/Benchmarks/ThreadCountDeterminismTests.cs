using Autograd.Benchmarks.Networks;

namespace Autograd.Tests.Benchmarks;

/// <summary>
/// Training on two threads gives the bits of one: the products a step splits are cut on their kernels' tile grids and
/// every other pass runs on the calling thread, so weights after several tape steps (forward, backward, SGD) must be
/// identical, not merely close, for batch sizes whose products do and do not split.
/// </summary>
public class ThreadCountDeterminismTests
{
    [TestCase("deep", 64)]
    [TestCase("deep", 250)]
    [TestCase("mlp2", 64)]
    [TestCase("mlp2", 37)]
    public void TapeStepsGiveTheSameWeightsOnOneAndTwoThreads(string network, int batch)
    {
        var spec = NetworkSpec.ByName(network);
        var (x, labels) = spec.SyntheticBatch<float>(batch, seed: 2);
        float[][] Train(int threads)
        {
            int saved = Parallelism.MaxThreads;
            try
            {
                Parallelism.MaxThreads = threads;
                var tape = new TapeMlp<float>(spec, spec.InitialParameters<float>(seed: 1));
                var data = new TapeBatch<float>(spec, x, labels);
                for (int step = 0; step < 5; step++) tape.Step(data, 0.05f);
                return tape.Weights.Concat(tape.Biases).Select(p => p.AsReadOnlySpan().ToArray()).ToArray();
            }
            finally { Parallelism.MaxThreads = saved; }
        }
        var one = Train(1);
        var two = Train(2);
        for (int p = 0; p < one.Length; p++)
        {
            int differing = Enumerable.Range(0, one[p].Length)
                .Count(i => BitConverter.SingleToInt32Bits(one[p][i]) != BitConverter.SingleToInt32Bits(two[p][i]));
            Assert.That(differing, Is.Zero, $"{network}/{batch}, parameter {p}: elements whose bits differ");
        }
        Assert.That(one[0], Is.Not.EqualTo(spec.InitialParameters<float>(seed: 1)[0].Weight), "the steps changed the weights");
    }
}
