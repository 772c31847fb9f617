using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class ModuleSerializationTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("module-save-tests-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static Sequential<T> Mlp<T>(ulong seed, int hidden = 5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        return new Sequential<T>(new Linear<T>(3, hidden, rng: rng), new ReLU<T>(), new Linear<T>(hidden, 2, rng: rng));
    }

    [Test]
    public void SaveThenLoadRestoresEveryParameterAndTheOutputs()
    {
        string path = Path.Combine(_dir, "mlp.safetensors");
        var source = Mlp<float>(1);
        source.Save(path, new Dictionary<string, string> { ["arch"] = "mlp" });
        Assert.That(SafeTensors.ReadHeader(path).Tensors.Select(t => t.Name), Is.EqualTo(new[] { "0.bias", "0.weight", "2.bias", "2.weight" }));

        var target = Mlp<float>(2);
        var weightBefore = target.Parameters()[0];
        Assert.That(target.Parameters()[0].ToArray(), Is.Not.EqualTo(source.Parameters()[0].ToArray()));
        target.Load(path);
        Assert.That(target.Parameters()[0], Is.SameAs(weightBefore), "loaded in place");
        for (int i = 0; i < 4; i++)
            Assert.That(target.Parameters()[i].ToArray(), Is.EqualTo(source.Parameters()[i].ToArray()));
        var x = Tensor.Normal<float>(new Shape(4, 3), 0, 1, new Rng(3));
        Assert.That(target.Forward(x).ToArray(), Is.EqualTo(source.Forward(x).ToArray()));
    }

    [Test]
    public void DoubleModulesRoundTrip()
    {
        string path = Path.Combine(_dir, "mlp64.safetensors");
        var source = Mlp<double>(1);
        source.Save(path);
        var target = Mlp<double>(9);
        target.Load(path);
        Assert.That(target.Parameters()[2].ToArray(), Is.EqualTo(source.Parameters()[2].ToArray()));
    }

    private static void AssertUnchangedAfter(Module<float> module, Action load)
    {
        var before = module.Parameters().Select(p => p.ToArray()).ToArray();
        load();
        var after = module.Parameters().Select(p => p.ToArray()).ToArray();
        Assert.That(after, Is.EqualTo(before));
    }

    [Test]
    public void ShapeMismatchIsReportedAndNothingIsLoaded()
    {
        string path = Path.Combine(_dir, "wide.safetensors");
        Mlp<float>(1, hidden: 5).Save(path);
        var narrow = Mlp<float>(2, hidden: 4);
        AssertUnchangedAfter(narrow, () =>
        {
            var ex = Assert.Throws<InvalidDataException>(() => narrow.Load(path));
            Assert.That(ex!.Message, Does.Contain(path)
                .And.Contain("'0.weight' is [5, 3] in the file but [4, 3] in the module")
                .And.Contain("'2.weight' is [2, 5] in the file but [2, 4] in the module"));
        });
    }

    [Test]
    public void MissingAndUnexpectedNamesAreListed()
    {
        string path = Path.Combine(_dir, "mlp.safetensors");
        Mlp<float>(1).Save(path);
        var deeper = new Sequential<float>(new Linear<float>(3, 5), new ReLU<float>(), new Linear<float>(5, 2), new Linear<float>(2, 2, bias: false));
        var ex = Assert.Throws<InvalidDataException>(() => deeper.Load(path));
        Assert.That(ex!.Message, Does.Contain("missing from the file: 3.weight"));

        var noBias = new Sequential<float>(new Linear<float>(3, 5, bias: false), new ReLU<float>(), new Linear<float>(5, 2));
        AssertUnchangedAfter(noBias, () =>
        {
            var ex2 = Assert.Throws<InvalidDataException>(() => noBias.Load(path));
            Assert.That(ex2!.Message, Does.Contain("unexpected in the file: 0.bias"));
        });
    }

    [Test]
    public void DtypeMismatchIsReported()
    {
        string path = Path.Combine(_dir, "mlp64.safetensors");
        Mlp<double>(1).Save(path);
        var ex = Assert.Throws<InvalidDataException>(() => Mlp<float>(1).Load(path));
        Assert.That(ex!.Message, Does.Contain("'0.weight' is F64 in the file but the module holds F32"));
    }
}
