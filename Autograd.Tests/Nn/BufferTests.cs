using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// Module buffers: non-trainable named state saved under PyTorch's state_dict names, through the library's
/// <see cref="BatchNorm1d{T}"/> (running_mean, running_var, num_batches_tracked).
/// </summary>
public class BufferTests
{
    private static Sequential<T> Net<T>(ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        return new Sequential<T>(new Linear<T>(4, 3, rng: rng), new BatchNorm1d<T>(3), new ReLU<T>(), new Linear<T>(3, 2, rng: rng));
    }

    private static BatchNorm1d<T> Norm<T>(Sequential<T> net) where T : unmanaged, IFloatingPointIeee754<T> => (BatchNorm1d<T>)net[1];

    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("buffer-tests-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void BuffersHaveStateDictNamesAndAreNotParameters()
    {
        var net = Net<float>(1);
        Assert.That(net.NamedParameters().Select(p => p.Key), Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias" }));
        Assert.That(net.NamedBuffers().Select(p => p.Key), Is.EqualTo(new[] { "1.running_mean", "1.running_var" }));
        Assert.That(net.NamedInt64Buffers().Select(p => p.Key), Is.EqualTo(new[] { "1.num_batches_tracked" }));
        Assert.That(net.NamedInt64Buffers()[0].Value.Shape, Is.EqualTo(Shape.Scalar), "a rank-0 counter, as PyTorch stores it");
        Assert.That(net.Parameters(), Has.None.SameAs(Norm(net).RunningMean).And.None.SameAs(Norm(net).RunningVar));
        Assert.That(net.NamedBuffers().Select(b => b.Value.RequiresGrad), Is.All.False);
        Assert.That(Norm(net).NamedOwnBuffers().Select(b => b.Key), Is.EqualTo(new[] { "running_mean", "running_var" }));
    }

    [Test]
    public void TrainingUpdatesTheRunningStatisticsAndEvaluationUsesThem()
    {
        var norm = new BatchNorm1d<double>(2);
        var x = Tensor.FromArray(new[] { 1.0, 10, 3, 20, 8, 60 }, 3, 2);   // column means 4 and 30, unbiased variances 13 and 700
        norm.Forward(x);
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(new[] { 0.9 * 0 + 0.1 * 4, 0.1 * 30 }).Within(1e-12));
        Assert.That(norm.RunningVar.ToArray(), Is.EqualTo(new[] { 0.9 + 0.1 * 13, 0.9 + 0.1 * 700 }).Within(1e-12));
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(1));

        norm.Eval();
        var meanBefore = norm.RunningMean.ToArray();
        var y = norm.Forward(Tensor.FromArray(new[] { 2.0, 5 }, 1, 2));
        Assert.That(norm.RunningMean.ToArray(), Is.EqualTo(meanBefore), "evaluation leaves the buffers alone");
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(1));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { (2 - 0.4) / Math.Sqrt(2.2 + 1e-5), (5 - 3) / Math.Sqrt(70.9 + 1e-5) }).Within(1e-12));

        norm.Train();
        norm.Forward(x);
        Assert.That(norm.NumBatchesTracked.Value, Is.EqualTo(2), "Train() switches the child back");
    }

    [Test]
    public void BuffersGetNoGradientAndOptimizersDoNotTouchThem()
    {
        var net = Net<double>(2);
        var optimizer = new Sgd<double>(net.Parameters(), lr: 0.5, momentum: 0.9);
        var x = Tensor.Normal<double>(new Shape(5, 4), 0, 1, new Rng(3));
        net.Forward(x).Square().Sum().Backward();
        var running = Norm(net).RunningMean.ToArray();
        optimizer.Step();
        Assert.That(Norm(net).RunningMean.Grad, Is.Null);
        Assert.That(Norm(net).RunningMean.ToArray(), Is.EqualTo(running));
        Assert.That(Norm(net).Weight!.Grad, Is.Not.Null);
    }

    private sealed class Misregistering : Module<float>
    {
        public Misregistering(string what)
        {
            var t = NewParameter(2);
            switch (what)
            {
                case "trainable": t.RequiresGrad = true; RegisterBuffer("b", t); break;
                case "taken": RegisterParameter("w", NewParameter(2)); RegisterBuffer("w", t); break;
                case "taken-by-buffer": RegisterBuffer("b", t); RegisterBuffer("b", new Int64Buffer()); break;
                case "dotted": RegisterBuffer("a.b", t); break;
            }
        }

        public override Tensor<float> Forward(Tensor<float> x) => x;
    }

    [TestCase("trainable", "must be a leaf tensor that does not require grad")]
    [TestCase("taken", "the name 'w' is already used by a parameter")]
    [TestCase("taken-by-buffer", "the name 'b' is already used by a buffer")]
    [TestCase("dotted", "'a.b' is not a valid parameter, buffer or module name")]
    public void BadRegistrationsAreRejected(string what, string message) =>
        Assert.That(Assert.Throws<ArgumentException>(() => new Misregistering(what))!.Message, Does.StartWith("Misregistering: ").And.Contain(message));

    [Test]
    public void Int64BufferValueNeedsOneElement()
    {
        var counter = new Int64Buffer { Value = long.MaxValue };
        Assert.That(counter.Value, Is.EqualTo(long.MaxValue));
        Assert.That(Assert.Throws<InvalidOperationException>(() => _ = new Int64Buffer(2, 3).Value)!.Message, Does.Contain("shape [2, 3]"));
    }

    /// <summary>
    /// A file laid out as safetensors.torch.save_file(model.state_dict()) writes it for this network: PyTorch's names,
    /// F32 weights and statistics, num_batches_tracked as a rank-0 I64, metadata {"format": "pt"}; entries not in name order.
    /// </summary>
    private static byte[] PyTorchStyleFile(long batchesTracked, string countDType = "I64")
    {
        var entries = new (string Name, string DType, int[] Shape, byte[] Data)[]
        {
            ("0.weight", "F32", [3, 4], Floats(Enumerable.Range(0, 12).Select(i => 0.25f * i - 1))),
            ("0.bias", "F32", [3], Floats([0.5f, -0.5f, 0.125f])),
            ("1.weight", "F32", [3], Floats([1.5f, 2f, 0.75f])),
            ("1.bias", "F32", [3], Floats([0.1f, 0.2f, 0.3f])),
            ("1.running_mean", "F32", [3], Floats([-1f, 0f, 2.5f])),
            ("1.running_var", "F32", [3], Floats([4f, 0.25f, 9f])),
            ("1.num_batches_tracked", countDType, [], countDType == "I64" ? BitConverter.GetBytes(batchesTracked) : Floats([batchesTracked])),
            ("3.weight", "F32", [2, 3], Floats([1f, 2f, 3f, 4f, 5f, 6f])),
            ("3.bias", "F32", [2], Floats([-2f, 2f])),
        };
        return PyTorchStateDict.File(entries);
    }

    private static byte[] Floats(IEnumerable<float> values) => PyTorchStateDict.Floats(values);

    [Test]
    public void APyTorchStateDictLoadsOneToOne()
    {
        string path = Path.Combine(_dir, "pytorch.safetensors");
        const long tracked = (1L << 40) + 3;   // far beyond what a float32 counter could hold
        File.WriteAllBytes(path, PyTorchStyleFile(tracked));
        var net = Net<float>(5);
        var metadata = net.Load(path);

        Assert.That(metadata, Is.EqualTo(new Dictionary<string, string> { ["format"] = "pt" }));
        Assert.That(((Linear<float>)net[0]).Weight.ToArray(), Is.EqualTo(Enumerable.Range(0, 12).Select(i => 0.25f * i - 1).ToArray()));
        Assert.That(Norm(net).Weight!.ToArray(), Is.EqualTo(new[] { 1.5f, 2f, 0.75f }));
        Assert.That(Norm(net).RunningMean.ToArray(), Is.EqualTo(new[] { -1f, 0f, 2.5f }));
        Assert.That(Norm(net).RunningVar.ToArray(), Is.EqualTo(new[] { 4f, 0.25f, 9f }));
        Assert.That(Norm(net).NumBatchesTracked.Value, Is.EqualTo(tracked));
        Assert.That(((Linear<float>)net[3]).Bias!.ToArray(), Is.EqualTo(new[] { -2f, 2f }));

        // Evaluation then runs on the loaded statistics: (x·Wᵀ + b − mean)/√(var + ε)·γ + β, ReLU, second layer.
        net.Eval();
        var x = Tensor.FromArray(new[] { 1f, 0f, -1f, 2f }, 1, 4);
        var w = Enumerable.Range(0, 12).Select(i => 0.25 * i - 1).ToArray();
        double[] b = [0.5, -0.5, 0.125], mean = [-1, 0, 2.5], variance = [4, 0.25, 9], gamma = [1.5, 2, 0.75], beta = [0.1, 0.2, 0.3];
        var h = new double[3];
        for (int c = 0; c < 3; c++)
        {
            double z = b[c] + w[4 * c] * 1 + w[4 * c + 2] * -1 + w[4 * c + 3] * 2;
            h[c] = Math.Max(0, (z - mean[c]) / Math.Sqrt(variance[c] + 1e-5) * gamma[c] + beta[c]);
        }
        double[] expected = [-2 + h[0] + 2 * h[1] + 3 * h[2], 2 + 4 * h[0] + 5 * h[1] + 6 * h[2]];
        Assert.That(net.Forward(x).ToArray().Select(v => (double)v), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void SaveWritesTheCounterAsRankZeroInt64AndLoadRestoresEverything()
    {
        string path = Path.Combine(_dir, "net.safetensors");
        var source = Net<float>(1);
        var x = Tensor.Normal<float>(new Shape(6, 4), 0, 1, new Rng(2));
        source.Forward(x);
        source.Forward(x);
        Norm(source).NumBatchesTracked.Value = (1L << 53) + 1;
        source.Save(path, new Dictionary<string, string> { ["epoch"] = "7" });

        var header = SafeTensors.ReadHeader(path);
        var counter = header.Tensors.Single(t => t.Name == "1.num_batches_tracked");
        Assert.That((counter.DType, counter.Shape.Length, counter.ByteLength), Is.EqualTo(("I64", 0, 8L)));
        Assert.That(header.Tensors.Single(t => t.Name == "1.running_var").DType, Is.EqualTo("F32"));

        var target = Net<float>(9);
        var metadata = target.Load(path);
        Assert.That(metadata["epoch"], Is.EqualTo("7"), "Load returns what Save wrote");
        Assert.That(Norm(target).NumBatchesTracked.Value, Is.EqualTo((1L << 53) + 1));
        Assert.That(Norm(target).RunningMean.ToArray(), Is.EqualTo(Norm(source).RunningMean.ToArray()));
        Assert.That(Norm(target).RunningVar.ToArray(), Is.EqualTo(Norm(source).RunningVar.ToArray()));
        source.Eval(); target.Eval();
        Assert.That(target.Forward(x).ToArray(), Is.EqualTo(source.Forward(x).ToArray()));
    }

    [Test]
    public void ACounterOfAnotherDTypeOrAMissingBufferIsReportedAndNothingIsLoaded()
    {
        string path = Path.Combine(_dir, "f32-counter.safetensors");
        File.WriteAllBytes(path, PyTorchStyleFile(5, countDType: "F32"));
        var net = Net<float>(3);
        var before = Norm(net).RunningVar.ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => net.Load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("'1.num_batches_tracked' is F32 in the file but the module holds I64"));
        Assert.That(Norm(net).RunningVar.ToArray(), Is.EqualTo(before));

        var withoutNorm = new Sequential<float>(new Linear<float>(4, 3), new ReLU<float>(), new ReLU<float>(), new Linear<float>(3, 2));
        File.WriteAllBytes(path, PyTorchStyleFile(5));
        ex = Assert.Throws<InvalidDataException>(() => withoutNorm.Load(path));
        Assert.That(ex!.Message, Does.Contain("unexpected in the file: 1.weight, 1.bias, 1.running_mean, 1.running_var, 1.num_batches_tracked"));
        var plainPath = Path.Combine(_dir, "plain.safetensors");
        withoutNorm.Save(plainPath);
        ex = Assert.Throws<InvalidDataException>(() => net.Load(plainPath));
        Assert.That(ex!.Message, Does.Contain("missing from the file: 1.weight, 1.bias, 1.running_mean, 1.running_var, 1.num_batches_tracked"));
    }
}
