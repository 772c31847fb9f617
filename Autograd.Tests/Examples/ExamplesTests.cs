using System.Text.RegularExpressions;
using Autograd.Examples;
using Autograd.Examples.Training;
using Autograd.Nn;
using Autograd.Nn.Data;
using Autograd.Tests.Data;
using Autograd.Tests.Onnx;

namespace Autograd.Tests.Examples;

/// <summary>The Examples app end to end on small slices of the bundled digits (a few seconds in all).</summary>
public class ExamplesTests
{
    private static PreparedData Small(Recipe recipe, int train, int test)
    {
        var (tr, te) = BundledDigits.Load<float>(recipe.Scale);
        tr = tr.Subset(Enumerable.Range(0, train).ToArray());
        te = te.Subset(Enumerable.Range(0, test).ToArray());
        if (recipe.Standardize)
        {
            var s = Standardizer<float>.Fit(tr);
            (tr, te) = (s.Transform(tr), s.Transform(te));
        }
        var eval = te;
        if (recipe.ValidationFraction is double f) (tr, eval) = tr.Split(1 - f, recipe.ValidationSeed);
        return new PreparedData("test slice", tr, eval, ReferenceEquals(eval, te) ? "test" : "val", te, 10);
    }

    public static IEnumerable<string> LabNames => Labs.All.Where(r => !r.Name.StartsWith("L4", StringComparison.Ordinal)).Select(r => r.Name)
        .Concat(Models.All.Select(r => r.Name));

    [TestCaseSource(nameof(LabNames))]
    public void EveryRecipeTrainsWithoutNaNAndPrintsTheFinalLine(string name)
    {
        var recipe = Labs.All.Concat(Models.All).Single(r => r.Name == name) with { Epochs = 2 };
        // Per-sample labs get a smaller slice so the whole sweep stays quick.
        int train = recipe.BatchSize == 1 ? 200 : 1300;
        var log = new StringWriter();
        var trainer = new Trainer(recipe, Small(recipe, train, 300), log);
        trainer.Run();
        Assert.That(trainer.History, Has.Count.EqualTo(2));
        Assert.That(trainer.History.Select(e => e.TrainLoss), Has.All.Matches<double>(double.IsFinite), log.ToString());
        Assert.That(trainer.FinalLine(), Does.Match($@"^final model={Regex.Escape(name)} test_accuracy=\d\.\d{{4}} train_samples_per_s=\d+ epochs=2 weights=[0-9a-f]{{16}}$"));
    }

    [Test]
    public void WeightsDigestChangesWithAnyBitOfAnyWeight()
    {
        Module<float> Model() => new Sequential<float>(new Linear<float>(4, 3, rng: new Rng(1)), new Linear<float>(3, 2, rng: new Rng(2)));
        var model = Model();
        string digest = Metrics.WeightsDigest(model);
        Assert.That(digest, Does.Match("^[0-9a-f]{16}$"));
        Assert.That(Metrics.WeightsDigest(Model()), Is.EqualTo(digest), "the same weights give the same digest");
        var last = model.Parameters()[^1].AsSpan();
        last[^1] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(last[^1]) ^ 1);   // the lowest bit of the last weight
        Assert.That(Metrics.WeightsDigest(model), Is.Not.EqualTo(digest));
    }

    // The second-order example: u″ from the tape. 2,500 Adam steps take well under a second; the full 8,000 reach
    // about 3e-5 (README), here the error must at least fall below 1e-2 and the final line must have its form.
    [Test]
    public void PinnSolvesThePoissonProblemWithSecondDerivativesFromTheTape()
    {
        using var dir = new TempDir();
        var log = new StringWriter();
        int code = Autograd.Examples.Pinn.PinnCommand.Run(new(Steps: 2500, LogEvery: 500, OutDirectory: dir.Path), log);
        Assert.That(code, Is.Zero);
        var lines = log.ToString().TrimEnd().Split('\n');
        var final = Regex.Match(lines[^1], @"^final model=pinn max_abs_error=(\S+) steps=2500 train_seconds=\S+$");
        Assert.That(final.Success, lines[^1]);
        double error = double.Parse(final.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(error, Is.LessThan(1e-2), log.ToString());
        var losses = lines.Where(l => l.StartsWith("step", StringComparison.Ordinal))
            .Select(l => double.Parse(Regex.Match(l, @"loss (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.That(losses[^1], Is.LessThan(losses[0]), "the residual falls");
        Assert.That(File.Exists(Path.Combine(dir.Path, "pinn.png")), Is.True);
    }

    [Test]
    public void DefaultRecipeLearns()
    {
        var recipe = Models.Default with { Epochs = 2 };
        var trainer = new Trainer(recipe, Small(recipe, 2000, 500), TextWriter.Null);
        trainer.Run();
        Assert.That(trainer.TestAccuracy, Is.GreaterThan(0.85), "two epochs on 2,000 digits");
        Assert.That(trainer.History[1].TrainLoss, Is.LessThan(trainer.History[0].TrainLoss));
    }

    [Test]
    public void OutFolderGetsMetricsChartAndLoadableModel()
    {
        using var dir = new TempDir();
        var recipe = Models.Mlp1 with { Epochs = 2 };
        var log = new StringWriter();
        var data = Small(recipe, 500, 200);
        var trainer = new Trainer(recipe, data, log);
        trainer.Run();
        TrainCommand.WriteOutputs(dir.Path, recipe, data, trainer, log);

        var csv = File.ReadAllLines(dir.File("metrics.csv"));
        Assert.That(csv[0], Is.EqualTo("epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_samples_per_s"));
        Assert.That(csv, Has.Length.EqualTo(3));
        var png = File.ReadAllBytes(dir.File("chart.png"));
        Assert.That(png.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");

        var reloaded = recipe.Model(784, 10, new Rng(99));
        reloaded.Load(dir.File("model.safetensors"));
        var original = trainer.Model!.NamedParameters();
        foreach (var (name, p) in reloaded.NamedParameters())
            Assert.That(p.ToArray(), Is.EqualTo(original.Single(kv => kv.Key == name).Value.ToArray()), name);
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(3), "no temporary files left behind");
    }

    [Test]
    public void TrainedNetworkExportsToOnnxAndRunsInOnnxRuntime()
    {
        using var dir = new TempDir();
        var recipe = Models.Mlp2 with { Epochs = 1 };
        var log = new StringWriter();
        var data = Small(recipe, 500, 200);
        var trainer = new Trainer(recipe, data, log);
        trainer.Run();
        TrainCommand.WriteOnnx(dir.File("mlp2.onnx"), trainer.Model!, data, log);
        Assert.That(log.ToString(), Does.Contain("mlp2.onnx (ONNX opset 17, input [batch, 784])"));

        var test = data.Test.FeaturesTensor();
        Tensor<float> expected;
        using (Grad.NoGrad()) expected = trainer.Model!.Eval().Forward(test);
        var (values, shape) = OnnxRuntimeRunner.Run(File.ReadAllBytes(dir.File("mlp2.onnx")), test);
        Assert.That(shape, Is.EqualTo(new[] { 200, 10 }));
        Assert.That(OnnxRuntimeRunner.RelativeDifference<float>(values, expected.AsReadOnlySpan()), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void OnnxOptionRefusesACustomNetworkBeforeTraining()
    {
        using var dir = new TempDir();
        var stderr = new StringWriter();
        Assert.That(Run(stderr, "train", "--model", "residual", "--onnx", dir.File("residual.onnx")), Is.EqualTo(2));
        Assert.That(stderr.ToString(), Does.Contain("the model (type ResidualMlp) has no ONNX mapping"));
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty);
    }

    [Test]
    public void LabL4RunsOnCifarFormatFolder()
    {
        using var dir = new TempDir();
        foreach (var (file, i) in Cifar10Reader.TrainFiles.Select((f, i) => (f, i)))
            File.WriteAllBytes(dir.File(file), DataTestFiles.CifarRecords(40, firstIndex: i * 40));
        File.WriteAllBytes(dir.File(Cifar10Reader.TestFile), DataTestFiles.CifarRecords(30, firstIndex: 1000));
        foreach (var recipe in new[] { Labs.L4, Labs.L4Softmax })
        {
            var data = DataSources.Load(dir.Path, recipe with { Epochs = 3 });
            Assert.That(data.Train.FeatureCount, Is.EqualTo(3072));
            Assert.That(data.Train.Count + data.Eval.Count, Is.EqualTo(200));
            var trainer = new Trainer(recipe with { Epochs = 3 }, data, TextWriter.Null);
            trainer.Run();
            Assert.That(trainer.History.Select(e => e.TrainLoss), Has.All.Matches<double>(double.IsFinite));
            Assert.That(trainer.History[0].TrainSamplesPerSecond, Is.GreaterThan(0));
        }
    }

    [TestCase("cnn")]
    [TestCase("cnn-bn")]
    public void CnnTakesThreeChannelsFromCifarFormatBatches(string name)
    {
        using var dir = new TempDir();
        foreach (var (file, i) in Cifar10Reader.TrainFiles.Select((f, i) => (f, i)))
            File.WriteAllBytes(dir.File(file), DataTestFiles.CifarRecords(16, firstIndex: i * 16));
        File.WriteAllBytes(dir.File(Cifar10Reader.TestFile), DataTestFiles.CifarRecords(20, firstIndex: 1000));
        var recipe = Models.All.Single(r => r.Name == name) with { Epochs = 2, BatchSize = 16 };
        var data = DataSources.Load(dir.Path, recipe);
        var trainer = new Trainer(recipe, data, TextWriter.Null);
        trainer.Run();
        var model = (Sequential<float>)trainer.Model!;
        Assert.That(((Conv2d<float>)model[1]).InChannels, Is.EqualTo(3));
        Assert.That(((Unflatten<float>)model[0]).Sizes, Is.EqualTo(new[] { 3, 32, 32 }));
        Assert.That(trainer.History.Select(e => e.TrainLoss), Has.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void CnnLearnsTheDigits()
    {
        var recipe = Models.CnnRecipe with { Epochs = 2 };
        var trainer = new Trainer(recipe, Small(recipe, 2000, 500), TextWriter.Null);
        trainer.Run();
        Assert.That(trainer.TestAccuracy, Is.GreaterThan(0.85), "two epochs on 2,000 digits");
        Assert.That(trainer.History[1].TrainLoss, Is.LessThan(trainer.History[0].TrainLoss));
    }

    [Test]
    public void GradCheckDemoAgreesWithTheTape()
    {
        var log = new StringWriter();
        Assert.That(GradCheckDemo.Run(samples: 5, log), Is.EqualTo(0), log.ToString());
        Assert.That(log.ToString(), Does.Contain("gradcheck: PASS").And.Contain("15,910 parameters"));
    }

    /// <summary>Standard output that "kills the process" when a line starts with <paramref name="prefix"/>.</summary>
    private sealed class CrashAtLine(string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) { }

        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith(prefix, StringComparison.Ordinal)) throw new IOException("simulated crash");
        }
    }

    [Test]
    public void AnInterruptedRunResumesFromItsLastCheckpointAndEndsTheSame()
    {
        using var whole = new TempDir();
        using var cut = new TempDir();
        string[] run = ["train", "--model", "mlp1", "--epochs", "3"];
        Assert.That(Run([.. run, "--out", whole.Path]), Is.Zero);
        // The run dies right after epoch 1: that epoch's checkpoint is written before its line is printed.
        try { RunWithOutput(new CrashAtLine("epoch   1"), [.. run, "--out", cut.Path]); }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is IOException) { }
        Assert.That(Directory.GetFiles(cut.Path).Select(Path.GetFileName), Is.EqualTo(new[] { TrainCommand.CheckpointFile }));
        var log = new StringWriter();
        Assert.That(RunWithOutput(log, "train", "--resume", cut.File(TrainCommand.CheckpointFile)), Is.Zero);
        Assert.That(log.ToString(), Does.Contain("1 of 3 epochs done"));

        Assert.That(File.ReadAllBytes(cut.File("model.safetensors")), Is.EqualTo(File.ReadAllBytes(whole.File("model.safetensors"))));
        static IEnumerable<string> WithoutSpeed(string csv) => File.ReadAllLines(csv).Select(l => l[..l.LastIndexOf(',')]);
        Assert.That(WithoutSpeed(cut.File("metrics.csv")), Is.EqualTo(WithoutSpeed(whole.File("metrics.csv"))), "the history of epoch 1 travels in the checkpoint");
        Assert.That(Run("train", "--resume", cut.File(TrainCommand.CheckpointFile), "--epochs", "4"), Is.EqualTo(2), "a resumed run keeps its settings");
        Assert.That(Run("train", "--resume", cut.File(TrainCommand.CheckpointFile), "--model", "mlp2"), Is.EqualTo(2));
        Assert.That(Run("train", "--resume", whole.File("model.safetensors")), Is.EqualTo(2), "a model file is not a checkpoint");
    }

    [Test]
    public void CommandLineRejectsBadOptions()
    {
        Assert.That(Run("train", "--lab", "L9"), Is.Not.EqualTo(0));
        Assert.That(Run("train", "--epochs", "0"), Is.Not.EqualTo(0));
        Assert.That(Run("train", "--lab", "L3", "--model", "mlp1"), Is.Not.EqualTo(0));
    }

    private static int Run(params string[] args) => Run(TextWriter.Null, TextWriter.Null, args);

    private static int Run(TextWriter error, params string[] args) => Run(TextWriter.Null, error, args);

    private static int RunWithOutput(TextWriter output, params string[] args) => Run(output, TextWriter.Null, args);

    private static int Run(TextWriter output, TextWriter error, string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        try
        {
            Console.SetOut(output); Console.SetError(error);
            return (int)typeof(TrainCommand).Assembly.EntryPoint!.Invoke(null, [args])!;
        }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }
}
