using Autograd.Examples.Training;
using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// The convolutional layers of Autograd.Nn: PyTorch's parameter names, shapes and default initialization, the Examples'
/// CNN loading a state_dict written with PyTorch's names one to one, Embedding's tensor input, Unflatten, pooling layers.
/// </summary>
public class ConvolutionalLayerTests
{
    [Test]
    public void Conv2dHasPyTorchsLayoutAndDefaultInitialization()
    {
        var conv = new Conv2d<float>(3, 16, 5, rng: new Rng(1));
        Assert.That(conv.NamedParameters().Select(p => (p.Key, p.Value.Shape.ToString())),
            Is.EqualTo(new[] { ("weight", "[16, 3, 5, 5]"), ("bias", "[16]") }));
        // kaiming_uniform_(a = √5): bound gain·√(3/fan_in) with gain √(2/(1 + 5)), i.e. 1/√fan_in; the bias the same.
        double bound = 1 / Math.Sqrt(3 * 5 * 5);
        foreach (var p in conv.Parameters())
        {
            var values = p.ToArray();
            Assert.That(values.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.8 * bound));
            Assert.That(values.Average(v => (double)v), Is.EqualTo(0).Within(0.25 * bound));
        }
        var grouped = new Conv2d<float>(8, 8, (3, 1), (2, 1), (1, 0), (1, 1), groups: 8, bias: false);
        Assert.That(grouped.Weight.Shape, Is.EqualTo(new Shape(8, 1, 3, 1)));
        Assert.That(grouped.Bias, Is.Null);
        Assert.That(grouped.Forward(Tensor.Zeros<float>(2, 8, 6, 5)).Shape, Is.EqualTo(new Shape(2, 8, 3, 5)));
        Assert.That(new Conv1d<float>(4, 6, 3, groups: 2).Weight.Shape, Is.EqualTo(new Shape(6, 2, 3)));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv2d<float>(6, 4, 3, groups: 4))!.Message, Does.StartWith("Conv2d:").And.Contain("groups=4"));
    }

    [Test]
    public void Conv2dLayerForwardIsTheOp()
    {
        var rng = new Rng(2);
        var conv = new Conv2d<double>(2, 3, 3, stride: 2, padding: 1, dilation: 1, rng: rng);
        var x = Tensor.Normal<double>(new Shape(2, 2, 7, 7), 0, 1, rng);
        Assert.That(conv.Forward(x).ToArray(), Is.EqualTo(x.Conv2d(conv.Weight, conv.Bias, stride: 2, padding: 1).ToArray()));
        var channels = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros<double>(2, 3, 7, 7)))!;
        Assert.That(channels.Message, Does.StartWith("Conv2d:").And.Contain("[2, 3, 7, 7]").And.Contain("[3, 2, 3, 3]"));
    }

    private static IEnumerable<(string Name, int[] Shape)> PyTorchNames(bool batchNorm)
    {
        // torch.nn.Sequential(Unflatten(1, (1, 28, 28)), Conv2d(1, 32, 3, padding=1), [BatchNorm2d(32)], ReLU(), MaxPool2d(2),
        //   Conv2d(32, 64, 3, padding=1), [BatchNorm2d(64)], ReLU(), MaxPool2d(2), Flatten(), Linear(3136, 128), ReLU(), Linear(128, 10))
        int i = 1;
        foreach (var (from, to) in new[] { (1, 32), (32, 64) })
        {
            yield return ($"{i}.weight", [to, from, 3, 3]);
            yield return ($"{i}.bias", [to]);
            if (batchNorm)
            {
                i++;
                foreach (var name in new[] { "weight", "bias", "running_mean", "running_var" }) yield return ($"{i}.{name}", [to]);
                yield return ($"{i}.num_batches_tracked", []);
            }
            i += 3;
        }
        i++;
        yield return ($"{i}.weight", [128, 3136]);
        yield return ($"{i}.bias", [128]);
        yield return ($"{i + 2}.weight", [10, 128]);
        yield return ($"{i + 2}.bias", [10]);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TheExamplesCnnLoadsAPyTorchStateDictOneToOne(bool batchNorm)
    {
        var names = PyTorchNames(batchNorm).ToArray();
        var model = Models.Cnn(784, 10, batchNorm, new Rng(1));
        var ours = model.NamedParameters().Select(p => (p.Key, p.Value.Shape.ToArray()))
            .Concat(model.NamedBuffers().Select(b => (b.Key, b.Value.Shape.ToArray())))
            .Concat(model.NamedInt64Buffers().Select(b => (b.Key, b.Value.Shape.ToArray())));
        Assert.That(ours.Select(e => $"{e.Key} {string.Join("x", e.Item2)}").Order(),
            Is.EqualTo(names.Select(e => $"{e.Name} {string.Join("x", e.Shape)}").Order()), "the same names and shapes as the PyTorch network's state_dict");

        // Every float entry gets distinct values (entry k, element j → k + j/10⁶); num_batches_tracked gets 12345.
        var entries = names.Select((e, k) => (e.Name, e.Shape.Length == 0 ? "I64" : "F32", e.Shape,
            e.Shape.Length == 0 ? BitConverter.GetBytes(12345L)
                : PyTorchStateDict.Floats(Enumerable.Range(0, e.Shape.Aggregate(1, (a, b) => a * b)).Select(j => k + j * 1e-6f)))).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, PyTorchStateDict.File(entries));
            Assert.That(model.Load(path)["format"], Is.EqualTo("pt"));
        }
        finally { File.Delete(path); }
        var tensors = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(p => p.Key, p => p.Value);
        for (int k = 0; k < names.Length; k++)
        {
            var (name, shape) = names[k];
            if (shape.Length == 0)
            {
                Assert.That(model.NamedInt64Buffers().Single(b => b.Key == name).Value.Value, Is.EqualTo(12345));
                continue;
            }
            var values = tensors[name].ToArray();
            Assert.That(values[0], Is.EqualTo((float)k), name);
            Assert.That(values[^1], Is.EqualTo(k + (values.Length - 1) * 1e-6f), name);
        }
    }

    [Test]
    public void CnnTakesItsInputChannelsFromTheData()
    {
        Assert.That(Models.ImageShape(784), Is.EqualTo((1, 28)));
        Assert.That(Models.ImageShape(3072), Is.EqualTo((3, 32)));
        var cifar = Models.Cnn(3072, 10, batchNorm: true, new Rng(1));
        Assert.That(((Conv2d<float>)cifar[1]).InChannels, Is.EqualTo(3));
        Assert.That(((Linear<float>)cifar[cifar.Count - 3]).InFeatures, Is.EqualTo(64 * 8 * 8));
        Assert.That(cifar.Forward(Tensor.Zeros<float>(2, 3072)).Shape, Is.EqualTo(new Shape(2, 10)));
        Assert.That(Assert.Throws<ArgumentException>(() => Models.ImageShape(1000))!.Message, Does.Contain("1000 features"));
    }

    [Test]
    public void EmbeddingTakesWholeNumbersAndRefusesOthers()
    {
        var embedding = new Embedding<double>(5, 3, new Rng(4));
        var indices = Tensor.FromArray(new[] { 4.0, 0, 2, 2 }, 2, 2);
        var y = embedding.Forward(indices);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 3)));
        Assert.That(y.ToArray(), Is.EqualTo(embedding.Lookup([4, 0, 2, 2], 2, 2).ToArray()));
        Assert.That(y.ToArray()[..3], Is.EqualTo(embedding.Weight.ToArray()[12..]));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward(Tensor.FromArray(new[] { 1.0, 5 }, 2)))!.Message,
            Does.StartWith("Embedding:").And.Contain("holds 5 at flat position 1").And.Contain("[0, 5)"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward(Tensor.FromArray(new[] { 1.5 }, 1)))!.Message,
            Does.Contain("holds 1.5"));
    }

    [Test]
    public void UnflattenSplitsAnAxis()
    {
        var x = Tensor.Zeros<float>(3, 784);
        Assert.That(new Unflatten<float>(1, 1, 28, 28).Forward(x).Shape, Is.EqualTo(new Shape(3, 1, 28, 28)));
        Assert.That(new Unflatten<float>(-1, 4, -1).Forward(x).Shape, Is.EqualTo(new Shape(3, 4, 196)));
        Assert.That(Assert.Throws<ArgumentException>(() => new Unflatten<float>(1, 3, 32, 32).Forward(x))!.Message,
            Does.StartWith("Unflatten:").And.Contain("size 784"));
    }

    [Test]
    public void PoolingLayersAndTheCnnSummary()
    {
        var x = Tensor.Zeros<float>(2, 3, 8, 8);
        Assert.That(new MaxPool2d<float>(2).Forward(x).Shape, Is.EqualTo(new Shape(2, 3, 4, 4)));
        Assert.That(new AvgPool2d<float>(3, stride: 2, padding: 1).Forward(x).Shape, Is.EqualTo(new Shape(2, 3, 4, 4)));
        Assert.That(new AdaptiveAvgPool2d<float>().Forward(x).Shape, Is.EqualTo(new Shape(2, 3, 1, 1)));
        Assert.Throws<NotSupportedException>(() => new AdaptiveAvgPool2d<float>(2));
        Assert.That(Assert.Throws<ArgumentException>(() => new MaxPool2d<float>(2, padding: 2))!.Message, Does.StartWith("MaxPool2d:"));

        var summary = Models.Cnn(784, 10, batchNorm: false, new Rng(1)).Summary(new Shape(1, 784));
        Assert.That(summary, Does.Contain("[1, 32, 28, 28]").And.Contain("[1, 64, 7, 7]").And.Contain("[1, 3136]").And.Contain("421,642"));
    }
}
