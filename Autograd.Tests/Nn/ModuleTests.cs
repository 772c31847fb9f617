using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class ModuleTests
{
    /// <summary>A custom module with an own parameter and named children, like a user model.</summary>
    private sealed class AutoEncoder : Module<double>
    {
        public readonly Tensor<double> Scale;
        public readonly Sequential<double> Encoder, Decoder;

        public AutoEncoder(Rng rng)
        {
            Scale = RegisterParameter("scale", Init.Ones(NewParameter(1)));
            Encoder = RegisterModule("encoder", new Sequential<double>(new Linear<double>(4, 3, rng: rng), new ReLU<double>(), new Linear<double>(3, 2, rng: rng)));
            Decoder = RegisterModule("decoder", new Sequential<double>(new Linear<double>(2, 4, bias: false, rng: rng)));
        }

        public override Tensor<double> Forward(Tensor<double> x) => Decoder.Call(Encoder.Call(x)) * Scale;
    }

    [Test]
    public void NamedParametersUseDottedNamesInRegistrationOrder()
    {
        var model = new AutoEncoder(new Rng(1));
        var names = model.NamedParameters().Select(p => p.Key).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "scale", "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias", "decoder.0.weight" }));
        var shapes = model.NamedParameters().Select(p => p.Value.Shape.ToString()).ToArray();
        Assert.That(shapes, Is.EqualTo(new[] { "[1]", "[3, 4]", "[3]", "[2, 3]", "[2]", "[4, 2]" }));
        Assert.That(model.Parameters(), Is.EqualTo(model.NamedParameters().Select(p => p.Value)).AsCollection);
        Assert.That(model.Parameters().All(p => p.RequiresGrad && p.IsLeaf), Is.True);
    }

    [Test]
    public void ParameterCountSumsAllElements()
    {
        var model = new AutoEncoder(new Rng(1));
        // 1 + (12 + 3) + (6 + 2) + 8
        Assert.That(model.ParameterCount, Is.EqualTo(32));
        Assert.That(new Sequential<float>(new Linear<float>(784, 128), new ReLU<float>(), new Linear<float>(128, 10)).ParameterCount,
            Is.EqualTo(784 * 128 + 128 + 128 * 10 + 10));
    }

    [Test]
    public void SharedParameterIsListedOnce()
    {
        var layer = new Linear<double>(2, 2, rng: new Rng(3));
        var model = new Sequential<double>(layer, new ReLU<double>(), layer);
        Assert.That(model.NamedParameters().Select(p => p.Key), Is.EqualTo(new[] { "0.weight", "0.bias" }));
    }

    [Test]
    public void ZeroGradZeroesInPlaceWithoutReallocating()
    {
        var model = new AutoEncoder(new Rng(2));
        var x = Tensor.Ones<double>(5, 4);
        model.Call(x).Sum().Backward();
        var grads = model.Parameters().Select(p => p.Grad).ToArray();
        Assert.That(grads.All(g => g is not null), Is.True);
        Assert.That(grads.Any(g => g!.ToArray().Any(v => v != 0)), Is.True);
        model.ZeroGrad();
        var after = model.Parameters().Select(p => p.Grad).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            Assert.That(after[i], Is.SameAs(grads[i]));
            Assert.That(after[i]!.ToArray(), Is.All.EqualTo(0.0));
        }
    }

    [Test]
    public void TrainAndEvalPropagateToEveryDescendant()
    {
        var model = new AutoEncoder(new Rng(1));
        var all = new List<Module<double>> { model, model.Encoder, model.Decoder };
        all.AddRange(model.Encoder);
        all.AddRange(model.Decoder);
        Assert.That(all.All(m => m.IsTraining), Is.True);
        Assert.That(model.Eval(), Is.SameAs(model));
        Assert.That(all.Any(m => m.IsTraining), Is.False);
        model.Train();
        Assert.That(all.All(m => m.IsTraining), Is.True);
    }

    private sealed class BadNames : Module<double>
    {
        public BadNames(string first, string second)
        {
            RegisterParameter(first, NewParameter(1));
            RegisterModule(second, new ReLU<double>());
        }
        public override Tensor<double> Forward(Tensor<double> x) => x;
    }

    [TestCase("w", "w", "already used")]
    [TestCase("a.b", "c", "not a valid")]
    [TestCase("", "c", "not a valid")]
    public void InvalidOrDuplicateNamesAreRejected(string first, string second, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new BadNames(first, second));
        Assert.That(ex!.Message, Does.Contain(message).And.Contain("BadNames"));
    }

    [Test]
    public void SummaryListsEveryLayerWithOutputShapesAndTotals()
    {
        var model = new Sequential<float>(new Linear<float>(784, 128, rng: new Rng(1)), new ReLU<float>(),
            new Dropout<float>(0.5, new Rng(2)), new Linear<float>(128, 10, rng: new Rng(3)));
        string summary = model.Summary(new Shape(32, 784));
        TestContext.Out.WriteLine(summary);
        var lines = summary.Split('\n');
        Assert.That(lines.Single(l => l.Contains("0 (Linear)")), Does.Contain("[32, 128]").And.Contain("100,480"));
        Assert.That(lines.Single(l => l.Contains("1 (ReLU)")), Does.Contain("[32, 128]").And.Contain("--"));
        Assert.That(lines.Single(l => l.Contains("2 (Dropout)")), Does.Contain("[32, 128]"));
        Assert.That(lines.Single(l => l.Contains("3 (Linear)")), Does.Contain("[32, 10]").And.Contain("1,290"));
        Assert.That(lines.Single(l => l.TrimStart().StartsWith("Sequential")), Does.Contain("[32, 10]"));
        Assert.That(summary, Does.Contain("Total params: 101,770"));
        Assert.That(summary, Does.Contain("Trainable params: 101,770"));
    }

    [Test]
    public void SummaryRestoresModesAndLeavesNoGraph()
    {
        var dropRng = new Rng(5);
        var model = new Sequential<double>(new Linear<double>(3, 2, rng: new Rng(1)), new Dropout<double>(0.5, dropRng));
        double before = new Rng(5).NextDouble();
        model.Summary(new Shape(4, 3));
        Assert.That(model.IsTraining && model[1].IsTraining, Is.True);
        // Eval mode during the summary means Dropout drew nothing from its generator.
        Assert.That(dropRng.NextDouble(), Is.EqualTo(before));
        Assert.That(model.Parameters().All(p => p.Grad is null), Is.True);
    }

    [Test]
    public void SummaryOfCustomModuleShowsNestedChildren()
    {
        var model = new AutoEncoder(new Rng(1));
        string summary = model.Summary(new Shape(7, 4));
        Assert.That(summary, Does.Contain("encoder (Sequential)").And.Contain("decoder (Sequential)"));
        Assert.That(summary.Split('\n').Single(l => l.Contains("encoder (Sequential)")), Does.Contain("[7, 2]"));
        var root = summary.Split('\n').Single(l => l.Contains("AutoEncoder")).TrimEnd();
        Assert.That(root, Does.Contain("[7, 4]").And.EndWith(" 1"));   // its own parameter "scale" only
        Assert.That(summary, Does.Contain("Total params: 32"));
    }

    [Test]
    public void ToStringDescribesTheTree()
    {
        var model = new Sequential<float>(new Linear<float>(2, 3), new ReLU<float>());
        Assert.That(model.ToString(), Is.EqualTo("Sequential(\n  (0): Linear(in=2, out=3, bias=true)\n  (1): ReLU()\n)".ReplaceLineEndings()));
    }
}
