using Autograd.Benchmarks.Networks;

namespace Autograd.Tests.Benchmarks;

/// <summary>
/// The benchmark compares two implementations of the same networks; these tests make sure they compute the same thing.
/// In float64, from identical parameters and batches, the hand-derived gradients, losses and outputs equal the tape's,
/// and so do the parameters after a few SGD steps. The hand-derived code is also checked on its own against central
/// differences, so that agreement cannot come from a shared mistake.
/// </summary>
public class HandVsTapeGradientTests
{
    private const double Tolerance = 1e-9;
    private const ulong ParameterSeed = 42, BatchSeed = 7;

    private static IEnumerable<TestCaseData> NetworksAndBatches() =>
        from spec in NetworkSpec.All
        from batch in new[] { 1, 16 }
        select new TestCaseData(spec.Name, batch);

    /// <summary>
    /// Largest per-element relative difference, |a − b| / max(|a|, |b|, floor), with floor = 1e-12.
    /// Per element, not normwise, so that a wrong small entry cannot hide behind large ones; the floor only
    /// keeps exact zeros (dead ReLU columns) and entries below 1e-12 from dividing by nothing.
    /// </summary>
    internal static (double Max, int Index) MaxRelativeDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length), "lengths");
        double max = 0; int at = -1;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - b[i]) / Math.Max(Math.Max(Math.Abs(a[i]), Math.Abs(b[i])), 1e-12);
            if (!(d <= max)) { max = d; at = i; }   // NaN counts as the worst difference
        }
        return (max, at);
    }

    private static void AssertClose(ReadOnlySpan<double> hand, ReadOnlySpan<double> tape, string what)
    {
        var (max, at) = MaxRelativeDifference(hand, tape);
        TestContext.Out.WriteLine($"{what}: max relative difference {max:E2}");
        Assert.That(max, Is.LessThanOrEqualTo(Tolerance),
            $"{what}: element {at} differs: hand {(at >= 0 ? hand[at] : double.NaN):R}, tape {(at >= 0 ? tape[at] : double.NaN):R}");
    }

    private static (HandDerivedMlp<double> Hand, TapeMlp<double> Tape) Twins(NetworkSpec spec)
    {
        var parameters = spec.InitialParameters<double>(ParameterSeed);
        return (new HandDerivedMlp<double>(spec, parameters), new TapeMlp<double>(spec, parameters));
    }

    [TestCaseSource(nameof(NetworksAndBatches))]
    public void GradientsAndLossAgree(string network, int batchSize)
    {
        var spec = NetworkSpec.ByName(network);
        var (hand, tape) = Twins(spec);
        var (x, labels) = spec.SyntheticBatch<double>(batchSize, BatchSeed);

        double handLoss = hand.ForwardBackward(x, labels, batchSize);
        double tapeLoss = tape.ForwardBackward(new TapeBatch<double>(spec, x, labels));

        Assert.That(double.IsFinite(handLoss) && handLoss > 0, Is.True, $"loss {handLoss}");
        AssertClose([handLoss], [tapeLoss], "loss");
        for (int l = 0; l < spec.Layers; l++)
        {
            Assert.That(tape.Weights[l].Grad, Is.Not.Null, $"layer {l} weight grad");
            AssertClose(hand.WeightGrads[l], tape.Weights[l].Grad!.AsReadOnlySpan(), $"layer {l} weight grad");
            AssertClose(hand.BiasGrads[l], tape.Biases[l].Grad!.AsReadOnlySpan(), $"layer {l} bias grad");
        }
        // The comparison must be able to fail: the gradients are not all zero.
        Assert.That(hand.WeightGrads[0].Any(g => g != 0), Is.True, "first-layer gradient is non-zero");
    }

    [TestCaseSource(nameof(NetworksAndBatches))]
    public void ParametersAgreeAfterThreeSgdSteps(string network, int batchSize)
    {
        var spec = NetworkSpec.ByName(network);
        var (hand, tape) = Twins(spec);
        var initial = spec.InitialParameters<double>(ParameterSeed);
        const double lr = 0.5;
        for (int step = 0; step < 3; step++)
        {
            var (x, labels) = spec.SyntheticBatch<double>(batchSize, BatchSeed + (ulong)step);
            double handLoss = hand.Step(x, labels, batchSize, lr);
            double tapeLoss = tape.Step(new TapeBatch<double>(spec, x, labels), lr);
            AssertClose([handLoss], [tapeLoss], $"loss of step {step}");
        }
        for (int l = 0; l < spec.Layers; l++)
        {
            AssertClose(hand.Weights[l], tape.Weights[l].AsReadOnlySpan(), $"layer {l} weight");
            AssertClose(hand.Biases[l], tape.Biases[l].AsReadOnlySpan(), $"layer {l} bias");
        }
        Assert.That(hand.Weights[^1], Is.Not.EqualTo(initial[^1].Weight), "the steps moved the last layer's weights");
    }

    [TestCaseSource(nameof(NetworksAndBatches))]
    public void InferenceOutputsAgree(string network, int batchSize)
    {
        var spec = NetworkSpec.ByName(network);
        var (hand, tape) = Twins(spec);
        var (x, labels) = spec.SyntheticBatch<double>(batchSize, BatchSeed);
        var tapeOut = new double[batchSize * spec.Sizes[^1]];
        tape.Infer(new TapeBatch<double>(spec, x, labels), tapeOut);
        AssertClose(hand.Forward(x, batchSize), tapeOut, "output");
    }

    // ---- the hand-derived network on its own, against central differences of its loss

    private static readonly NetworkSpec TinyRelu = new("tiny-relu", [6, 5, 4, 3], HiddenActivation.Relu, OutputLoss.SoftmaxCrossEntropy);
    private static readonly NetworkSpec TinySigmoid = new("tiny-sigmoid", [6, 4, 3], HiddenActivation.Sigmoid, OutputLoss.SigmoidQuadratic);

    private static IEnumerable<TestCaseData> TinyNetworks() =>
        new[] { TinyRelu, TinySigmoid }.Select(s => new TestCaseData(s).SetArgDisplayNames(s.Name));

    [TestCaseSource(nameof(TinyNetworks))]
    public void HandGradientsMatchFiniteDifferences(NetworkSpec spec)
    {
        const int batch = 3;
        var hand = new HandDerivedMlp<double>(spec, spec.InitialParameters<double>(ParameterSeed));
        var (x, labels) = spec.SyntheticBatch<double>(batch, BatchSeed);
        hand.ForwardBackward(x, labels, batch);
        var analytic = hand.WeightGrads.Concat(hand.BiasGrads).Select(g => g.ToArray()).ToArray();
        var parameters = hand.Weights.Concat(hand.Biases).ToArray();

        const double h = 1e-6;
        for (int p = 0; p < parameters.Length; p++)
        {
            var numeric = new double[parameters[p].Count];
            for (int i = 0; i < numeric.Length; i++)
            {
                double saved = parameters[p][i];
                parameters[p][i] = saved + h; double up = hand.ForwardBackward(x, labels, batch);
                parameters[p][i] = saved - h; double down = hand.ForwardBackward(x, labels, batch);
                parameters[p][i] = saved;
                numeric[i] = (up - down) / (2 * h);
            }
            // Central differences carry O(h²) truncation and O(ε/h) rounding error: compare at 1e-6 with a 1e-8 floor.
            for (int i = 0; i < numeric.Length; i++)
                Assert.That(analytic[p][i], Is.EqualTo(numeric[i]).Within(1e-6 * Math.Max(Math.Abs(numeric[i]), 1e-2)),
                    $"{spec.Name} parameter tensor {p} element {i}");
        }
    }

    [Test]
    public void HandRejectsBadLabelsAndInputSizes()
    {
        var spec = NetworkSpec.Mlp1;
        var hand = new HandDerivedMlp<double>(spec, spec.InitialParameters<double>(1));
        var (x, _) = spec.SyntheticBatch<double>(2, 1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => hand.ForwardBackward(x, [0, 10], 2));
        Assert.That(ex!.Message, Does.Contain("label 10").And.Contain("[0, 10)"));
        Assert.Throws<ArgumentException>(() => hand.Forward(x, 3));
    }
}
