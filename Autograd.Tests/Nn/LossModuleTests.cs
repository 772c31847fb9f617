using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class LossModuleTests
{
    private static Tensor<double> Logits() => Tensor.Normal<double>(new Shape(4, 3), 0, 1.5, new Rng(1));
    private static readonly int[] Labels = [2, 0, 1, 2];

    private static Tensor<double> OneHot(int[] labels, int classes)
    {
        var t = Tensor.Zeros<double>(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++) t[i, labels[i]] = 1;
        return t;
    }

    [Test]
    public void CrossEntropyLossWithLabelsIsTheCoreOp()
    {
        var logits = Logits();
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            Assert.That(new CrossEntropyLoss<double>(0.1, r).Forward(logits, Labels).ToArray(),
                Is.EqualTo(logits.CrossEntropyLoss(Labels, r, 0.1).ToArray()));
    }

    [TestCase(0.0)]
    [TestCase(0.2)]
    public void CrossEntropyLossWithOneHotTargetEqualsLabelsInValueAndGradient(double smoothing)
    {
        var loss = new CrossEntropyLoss<double>(smoothing);
        var a = Logits(); a.RequiresGrad = true;
        var b = Logits(); b.RequiresGrad = true;
        var withLabels = loss.Forward(a, Labels);
        var withTarget = loss.Forward(b, OneHot(Labels, 3));
        Assert.That(withTarget.Item(), Is.EqualTo(withLabels.Item()).Within(1e-12));
        withLabels.Backward(retainGraph: true);   // both graphs share the thread's tape
        withTarget.Backward();
        Assert.That(b.Grad!.ToArray(), Is.EqualTo(a.Grad!.ToArray()).Within(1e-12));
    }

    [Test]
    public void SoftCrossEntropyByHand()
    {
        // logits [0, ln 3]: softmax [1/4, 3/4]; target [1/2, 1/2]: −(½ ln ¼ + ½ ln ¾)
        var logits = Tensor.FromArray(new[] { 0, Math.Log(3) }, 1, 2);
        var target = Tensor.FromArray(new[] { 0.5, 0.5 }, 1, 2);
        Assert.That(new CrossEntropyLoss<double>().Forward(logits, target).Item(),
            Is.EqualTo(-(0.5 * Math.Log(0.25) + 0.5 * Math.Log(0.75))).Within(1e-14));
    }

    [Test]
    public void NllLossWithLabelsAndWithOneHotAgree()
    {
        var logProbs = Logits().LogSoftmax();
        var loss = new NllLoss<double>(Reduction.Sum);
        Assert.That(loss.Forward(logProbs, Labels).Item(), Is.EqualTo(logProbs.NllLoss(Labels, Reduction.Sum).Item()));
        Assert.That(loss.Forward(logProbs, OneHot(Labels, 3)).Item(), Is.EqualTo(loss.Forward(logProbs, Labels).Item()).Within(1e-12));
        Assert.That(new NllLoss<double>(Reduction.None).Forward(logProbs, OneHot(Labels, 3)).Shape, Is.EqualTo(new Shape(4)));
    }

    [Test]
    public void MseLossTurnsLabelsIntoOneHotRows()
    {
        var output = Tensor.FromArray(new[] { 0.2, 0.8, 0.6, 0.4 }, 2, 2);
        // one-hot [[0, 1], [1, 0]]: squared errors 0.04, 0.04, 0.16, 0.16
        Assert.That(new MseLoss<double>().Forward(output, [1, 0]).Item(), Is.EqualTo(0.1).Within(1e-15));
        Assert.That(new MseLoss<double>(Reduction.Sum).Forward(output, [1, 0]).Item(), Is.EqualTo(0.4).Within(1e-15));
        Assert.That(new MseLoss<double>(Reduction.None).Forward(output, [1, 0]).ToArray(), Is.EqualTo(new[] { 0.04, 0.04, 0.16, 0.16 }).Within(1e-15));
        Assert.That(new MseLoss<double>().Forward(output, Tensor.FromArray(new[] { 0.0, 1, 1, 0 }, 2, 2)).Item(), Is.EqualTo(0.1).Within(1e-15));
    }

    [Test]
    public void BinaryLossesTakeLabelsAsTargetValuesForOneOutput()
    {
        var p = Tensor.FromArray(new[] { 0.8, 0.3 }, 2, 1);
        Assert.That(new BceLoss<double>().Forward(p, [1, 0]).Item(), Is.EqualTo(-(Math.Log(0.8) + Math.Log(0.7)) / 2).Within(1e-14));
        var z = Tensor.FromArray(new[] { 2.0, -1.0 });   // [N]
        double s0 = 1 / (1 + Math.Exp(-2.0)), s1 = 1 / (1 + Math.Exp(1.0));
        Assert.That(new BceWithLogitsLoss<double>().Forward(z, [1, 1]).Item(), Is.EqualTo(-(Math.Log(s0) + Math.Log(s1)) / 2).Within(1e-14));
        Assert.That(new BceWithLogitsLoss<double>().Forward(z, Tensor.FromArray(new[] { 1.0, 1.0 })).Item(),
            Is.EqualTo(-(Math.Log(s0) + Math.Log(s1)) / 2).Within(1e-14));
    }

    [Test]
    public void EveryLossAcceptsABatchOfLabelsThroughTheSameInterface()
    {
        var logits = Logits();
        var probabilities = logits.Softmax();
        var losses = new (Loss<double> Loss, Tensor<double> Output)[]
        {
            (new CrossEntropyLoss<double>(), logits), (new NllLoss<double>(), logits.LogSoftmax()), (new MseLoss<double>(), probabilities),
            (new BceLoss<double>(), probabilities), (new BceWithLogitsLoss<double>(), logits),
        };
        foreach (var (loss, output) in losses)
        {
            var value = loss.Forward(output, Labels);
            Assert.That(value.Shape, Is.EqualTo(Shape.Scalar), loss.GetType().Name);
            Assert.That(double.IsFinite(value.Item()) && value.Item() > 0, Is.True, loss.GetType().Name);
        }
    }

    [Test]
    public void OneLossObjectUsedTwiceInOneGraphKeepsBothTargets()
    {
        // A single cached target buffer would be overwritten by the second call before Backward reads the first.
        var loss = new MseLoss<double>(Reduction.Sum);
        var output = Tensor.FromArray(new[] { 0.2, 0.8, 0.6, 0.4 }, 2, 2);
        output.RequiresGrad = true;
        using (TensorScope.Begin())
        {
            (loss.Forward(output, [1, 0]) + loss.Forward(output, [0, 0])).Backward();
        }
        // d/dy Σ(y − t)² = 2(y − t), summed over the two targets [[0,1],[1,0]] and [[1,0],[1,0]]
        Assert.That(output.Grad!.ToArray(), Is.EqualTo(new[] { 2 * (0.2 - 0) + 2 * (0.2 - 1), 2 * (0.8 - 1) + 2 * 0.8, 2 * (0.6 - 1) * 2, 2 * 0.4 * 2 }).Within(1e-14));
    }

    [Test]
    public void BadLabelsAreReported()
    {
        var probabilities = Logits().Softmax();
        Assert.That(Assert.Throws<ArgumentException>(() => new MseLoss<double>().Forward(probabilities, [0, 1, 3, 0]))!.Message,
            Does.Contain("MseLoss").And.Contain("label 2 is 3"));
        Assert.That(Assert.Throws<ArgumentException>(() => new BceLoss<double>().Forward(probabilities, [0, 1]))!.Message,
            Does.Contain("N = 2"));
        Assert.That(Assert.Throws<ArgumentException>(() => new BceWithLogitsLoss<double>().Forward(Tensor.Zeros<double>(2, 1), [0, 2]))!.Message,
            Does.Contain("must be 0 or 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => new MseLoss<double>().Forward(probabilities, Tensor.Zeros<double>(4, 2)))!.Message,
            Does.Contain("[4, 2]").And.Contain("[4, 3]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>(1.5));
    }
}
