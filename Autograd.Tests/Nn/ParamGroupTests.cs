using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// Parameter groups: each group is updated exactly as a one-group optimizer with the group's settings would update it
/// (the one-group rules are checked against torch.optim's formulas in OptimizerTests), and schedulers scale each
/// group's own initial rate.
/// </summary>
public class ParamGroupTests
{
    private static Tensor<double> Param(ulong seed, int length = 5)
    {
        var p = Tensor.Normal<double>(new Shape(length), 0, 1, new Rng(seed));
        p.RequiresGrad = true;
        return p;
    }

    /// <summary>Three steps on Σ c·p² (gradient 2c·p, so it changes from step to step) for every tensor.</summary>
    private static void Train(Optimizer optimizer, params Tensor<double>[] parameters)
    {
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            Tensor<double>? loss = null;
            for (int i = 0; i < parameters.Length; i++)
            {
                var term = (parameters[i].Square() * (1.0 + i)).Sum();
                loss = loss is null ? term : loss + term;
            }
            loss!.Backward();
            optimizer.Step();
        }
    }

    private static (Tensor<double>[] Grouped, Tensor<double>[] Alone) Pairs(int count)
    {
        var grouped = Enumerable.Range(0, count).Select(i => Param((ulong)i + 1)).ToArray();
        var alone = Enumerable.Range(0, count).Select(i => Param((ulong)i + 1)).ToArray();
        return (grouped, alone);
    }

    private static void TrainAlone(Tensor<double> p, int position, Optimizer optimizer)
    {
        // Each tensor's loss term is (1 + position)·Σp², as in the grouped run.
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            (p.Square() * (1.0 + position)).Sum().Backward();
            optimizer.Step();
        }
    }

    [Test]
    public void SgdGroupsUpdateWithTheirOwnRateWeightDecayAndMomentum()
    {
        var (p, q) = Pairs(3);
        var sgd = new Sgd<double>([new ParamGroup<double>([p[0], p[1]], lr: 0.1, weightDecay: 0.01, momentum: 0.9), new ParamGroup<double>([p[2]])],
            lr: 0.05, momentum: 0, dampening: 0.2);
        Train(sgd, p);
        TrainAlone(q[0], 0, new Sgd<double>([q[0]], 0.1, momentum: 0.9, weightDecay: 0.01, dampening: 0.2));
        TrainAlone(q[1], 1, new Sgd<double>([q[1]], 0.1, momentum: 0.9, weightDecay: 0.01, dampening: 0.2));
        TrainAlone(q[2], 2, new Sgd<double>([q[2]], 0.05));
        for (int i = 0; i < 3; i++) Assert.That(p[i].ToArray(), Is.EqualTo(q[i].ToArray()), $"parameter {i}");

        var second = (SgdGroup)sgd.Groups[1];
        Assert.That((second.LearningRate, second.Momentum, second.WeightDecay, second.Dampening), Is.EqualTo((0.05, 0.0, 0.0, 0.2)));
        Assert.That((sgd.Groups[0].FirstParameter, sgd.Groups[0].ParameterCount, second.FirstParameter, second.ParameterCount), Is.EqualTo((0, 2, 2, 1)));
        Assert.That(sgd.Parameters, Is.EqualTo(p));
    }

    [Test]
    public void NesterovAppliesPerGroupMomentum()
    {
        var (p, q) = Pairs(2);
        Train(new Sgd<double>([new ParamGroup<double>([p[0]], momentum: 0.5), new ParamGroup<double>([p[1]], lr: 0.3)], lr: 0.1, momentum: 0.8, nesterov: true), p);
        TrainAlone(q[0], 0, new Sgd<double>([q[0]], 0.1, momentum: 0.5, nesterov: true));
        TrainAlone(q[1], 1, new Sgd<double>([q[1]], 0.3, momentum: 0.8, nesterov: true));
        for (int i = 0; i < 2; i++) Assert.That(p[i].ToArray(), Is.EqualTo(q[i].ToArray()), $"parameter {i}");
        Assert.Throws<ArgumentException>(() => new Sgd<double>([new ParamGroup<double>([Param(1)], momentum: 0)], lr: 0.1, momentum: 0.9, nesterov: true));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AdamGroupsUpdateWithTheirOwnRateWeightDecayAndBetas(bool decoupled)
    {
        var (p, q) = Pairs(3);
        ParamGroup<double>[] groups = [new([p[0]], lr: 0.02, betas: (0.5, 0.6)), new([p[1], p[2]], weightDecay: 0.3)];
        Adam<double> Make(IEnumerable<Tensor<double>> ps, double lr, double b1, double b2, double wd) =>
            decoupled ? new AdamW<double>(ps, lr, b1, b2, eps: 1e-6, weightDecay: wd) : new Adam<double>(ps, lr, b1, b2, eps: 1e-6, weightDecay: wd);
        var adam = decoupled ? new AdamW<double>(groups, lr: 0.01, eps: 1e-6, weightDecay: 0.1) : new Adam<double>(groups, lr: 0.01, eps: 1e-6, weightDecay: 0.1);
        Train(adam, p);
        TrainAlone(q[0], 0, Make([q[0]], 0.02, 0.5, 0.6, 0.1));
        TrainAlone(q[1], 1, Make([q[1]], 0.01, 0.9, 0.999, 0.3));
        TrainAlone(q[2], 2, Make([q[2]], 0.01, 0.9, 0.999, 0.3));
        for (int i = 0; i < 3; i++) Assert.That(p[i].ToArray(), Is.EqualTo(q[i].ToArray()), $"parameter {i}");
        var first = (AdamGroup)adam.Groups[0];
        Assert.That((first.LearningRate, first.Beta1, first.Beta2, first.WeightDecay, first.Epsilon), Is.EqualTo((0.02, 0.5, 0.6, 0.1, 1e-6)));
    }

    [Test]
    public void BadGroupsAreRejectedByName()
    {
        var a = Param(1); var b = Param(2);
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd<double>([new ParamGroup<double>([a]), new ParamGroup<double>([b, a])], 0.1))!.Message,
            Does.Contain("Sgd: parameter 2 ([5]) appears in groups 0 and 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Adam<double>([new ParamGroup<double>([a]), new ParamGroup<double>([])]))!.Message,
            Does.Contain("Adam: parameter group 1 has no parameters"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd<double>([new ParamGroup<double>([a], betas: (0.9, 0.99))], 0.1))!.Message,
            Does.Contain("Sgd: parameter group 0 sets betas, which Sgd does not use"));
        Assert.That(Assert.Throws<ArgumentException>(() => new AdamW<double>([new ParamGroup<double>([a], momentum: 0.9)]))!.Message,
            Does.Contain("AdamW: parameter group 0 sets momentum"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>([new ParamGroup<double>([a]), new ParamGroup<double>([b], lr: -1)], 0.1))!.Message,
            Does.Contain("Sgd group 1: lr must be finite and ≥ 0, got -1"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([new ParamGroup<double>([a], betas: (0.9, 1.0))]))!.Message,
            Does.Contain("Adam group 0: beta2 must be in [0, 1), got 1"));
    }

    [Test]
    public void TheSharedLearningRateNeedsGroupsThatAgree()
    {
        Optimizer sgd = new Sgd<double>([new ParamGroup<double>([Param(1)], lr: 0.2), new ParamGroup<double>([Param(2)])], lr: 0.1);
        Assert.That(Assert.Throws<InvalidOperationException>(() => _ = sgd.LearningRate)!.Message, Does.Contain("different learning rates (0.2, 0.1)"));
        sgd.LearningRate = 0.05;
        Assert.That(sgd.Groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.05, 0.05 }));
        Assert.That(sgd.LearningRate, Is.EqualTo(0.05));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Groups[1].LearningRate = double.NaN)!.Message, Does.Contain("Sgd: group 1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1);
        Assert.That(sgd.Groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.05, 0.05 }), "a rejected rate changes no group");
    }

    private static Sgd<double> TwoGroups() =>
        new([new ParamGroup<double>([Param(1)], lr: 0.1), new ParamGroup<double>([Param(2)], lr: 0.01)], lr: 1);

    [Test]
    public void StepLrScalesEachGroupsInitialRate()
    {
        var sgd = TwoGroups();
        var scheduler = new StepLr(sgd, stepSize: 2, gamma: 0.5);
        Assert.That(scheduler.BaseLearningRates, Is.EqualTo(new[] { 0.1, 0.01 }));
        var rates = new List<(double, double)>();
        for (int e = 0; e < 4; e++) { scheduler.Step(); rates.Add((sgd.Groups[0].LearningRate, sgd.Groups[1].LearningRate)); }
        Assert.That(rates, Is.EqualTo(new[] { (0.1, 0.01), (0.05, 0.005), (0.05, 0.005), (0.025, 0.0025) }));
    }

    [Test]
    public void CosineAnnealingScalesEachGroupTowardsTheSameMinimum()
    {
        var sgd = TwoGroups();
        var scheduler = new CosineAnnealingLr(sgd, tMax: 2, etaMin: 0.001);
        scheduler.Step();
        Assert.That(sgd.Groups[0].LearningRate, Is.EqualTo(0.001 + (0.1 - 0.001) / 2).Within(1e-16));
        Assert.That(sgd.Groups[1].LearningRate, Is.EqualTo(0.001 + (0.01 - 0.001) / 2).Within(1e-16));
        scheduler.Step();
        Assert.That(sgd.Groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.001, 0.001 }).Within(1e-16));
        Assert.That(scheduler.LearningRateAt(1, group: 1), Is.EqualTo(0.001 + (0.01 - 0.001) / 2).Within(1e-16));
    }

    [Test]
    public void ALaterSchedulerScalesTheSameInitialRates()
    {
        // PyTorch's setdefault('initial_lr', lr): the first scheduler fixes the base, later ones reuse it.
        var sgd = TwoGroups();
        Assert.That(sgd.Groups[0].InitialLearningRate, Is.Null);
        var first = new StepLr(sgd, stepSize: 1, gamma: 0.5);
        first.Step();
        var second = new StepLr(sgd, stepSize: 1, gamma: 0.1);
        Assert.That(second.BaseLearningRates, Is.EqualTo(new[] { 0.1, 0.01 }));
        Assert.That(sgd.Groups.Select(g => g.InitialLearningRate), Is.EqualTo(new double?[] { 0.1, 0.01 }));
    }

    [Test]
    public void GroupedStepsAllocateNothing()
    {
        var p = Enumerable.Range(0, 4).Select(i => Param((ulong)i, 64)).ToArray();
        Optimizer[] optimizers =
        [
            new Sgd<double>([new ParamGroup<double>([p[0], p[1]], momentum: 0.9, weightDecay: 0.1), new ParamGroup<double>([p[2], p[3]], lr: 0.01)], lr: 0.1),
            new Adam<double>([new ParamGroup<double>([p[0]], betas: (0.8, 0.9)), new ParamGroup<double>([p[1], p[2], p[3]], lr: 1e-4, weightDecay: 0.1)]),
            new AdamW<double>([new ParamGroup<double>([p[0], p[1]]), new ParamGroup<double>([p[2], p[3]], lr: 1e-4)]),
        ];
        foreach (var q in p) q.Square().Sum().Backward();
        foreach (var optimizer in optimizers)
        {
            for (int i = 0; i < 5; i++) optimizer.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) optimizer.Step();
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, optimizer.TypeName);
        }
    }
}
