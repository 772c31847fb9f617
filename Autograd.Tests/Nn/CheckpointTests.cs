using System.Diagnostics;
using Autograd.Nn;
using Autograd.Tests.Resume;

namespace Autograd.Tests.Nn;

/// <summary>
/// Checkpoints: a run stopped at a checkpoint and resumed from it, in this process or a fresh one, ends with the same
/// bytes as the run that was never interrupted; the file's layout follows PyTorch's names; any difference between the
/// checkpoint and what it is loaded into is reported and changes nothing.
/// </summary>
public class CheckpointTests
{
    private const int TotalSteps = 40;   // almost six epochs of 7 batches
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("checkpoint-tests-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private static ResumableRun.Options Whole(string optimizer, string output) => new(optimizer, TotalSteps, null, null, null, false, output);

    // 23 = epoch 3, batch 2 (inside an epoch); 21 = the end of epoch 2, before its scheduler step.
    [TestCase("sgd", 23)]
    [TestCase("sgd", 21)]
    [TestCase("nesterov", 23)]
    [TestCase("adam", 23)]
    [TestCase("adam", 21)]
    [TestCase("adamw", 9)]
    public void AResumedRunEndsBitIdenticalToTheUninterruptedOne(string optimizer, int stopAfter)
    {
        ResumableRun.Run(Whole(optimizer, File("whole.safetensors")));
        ResumableRun.Run(Whole(optimizer, File("stopped.safetensors")) with { StopAfter = stopAfter, Checkpoint = File("checkpoint.safetensors") });
        ResumableRun.Run(Whole(optimizer, File("resumed.safetensors")) with { Resume = File("checkpoint.safetensors") });
        ResumableRun.Run(Whole(optimizer, File("model-only.safetensors")) with { Resume = File("checkpoint.safetensors"), ResumeModelOnly = true });

        var whole = System.IO.File.ReadAllBytes(File("whole.safetensors"));
        Assert.That(System.IO.File.ReadAllBytes(File("resumed.safetensors")), Is.EqualTo(whole));
        Assert.That(System.IO.File.ReadAllBytes(File("stopped.safetensors")), Is.Not.EqualTo(whole), "training went on after the checkpoint");
        Assert.That(System.IO.File.ReadAllBytes(File("model-only.safetensors")), Is.Not.EqualTo(whole),
            "without the optimizer, scheduler and generator state the resumed run is another run");
    }

    [TestCase("sgd")]
    [TestCase("adam")]
    public void AResumedRunInAFreshProcessEndsBitIdentical(string optimizer)
    {
        RunHelper(optimizer, TotalSteps.ToString(), File("whole.safetensors"));
        RunHelper(optimizer, TotalSteps.ToString(), File("stopped.safetensors"), "--stop-after", "23", File("checkpoint.safetensors"));
        RunHelper(optimizer, TotalSteps.ToString(), File("resumed.safetensors"), "--resume", File("checkpoint.safetensors"));
        var whole = System.IO.File.ReadAllBytes(File("whole.safetensors"));
        Assert.That(System.IO.File.ReadAllBytes(File("resumed.safetensors")), Is.EqualTo(whole));
        Assert.That(System.IO.File.ReadAllBytes(File("stopped.safetensors")), Is.Not.EqualTo(whole));
    }

    /// <summary>Runs the already built Autograd.Tests.Resume.dll (copied beside this assembly) with the dotnet host running the tests.</summary>
    private static void RunHelper(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Autograd.Tests.Resume.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(120_000), Is.True, "the helper finished");
        Assert.That(process.ExitCode, Is.Zero, stderr);
    }

    private sealed record Run(Sequential<double> Model, Adam<double> Optimizer, StepLr Scheduler, Rng Dropout);

    /// <summary>A small double-precision run: Linear, TestBatchNorm, Dropout, Linear; Adam over two groups; a step schedule.</summary>
    private static Run NewRun(ulong seed, (double, double)? firstBetas = null)
    {
        var rng = new Rng(seed);
        var dropout = new Rng(seed + 100);
        var model = new Sequential<double>(new Linear<double>(3, 4, rng: rng), new TestBatchNorm<double>(4), new Dropout<double>(0.25, dropout), new Linear<double>(4, 2, rng: rng));
        var parameters = model.Parameters();
        var optimizer = new Adam<double>([new ParamGroup<double>(parameters.Take(2), lr: 0.01, betas: firstBetas ?? (0.8, 0.9)), new ParamGroup<double>(parameters.Skip(2))], lr: 0.02);
        return new Run(model, optimizer, new StepLr(optimizer, stepSize: 1, gamma: 0.5), dropout);
    }

    private static void Steps(Run run, int count, bool skipLastLayer = false)
    {
        var x = Tensor.Normal<double>(new Shape(5, 3), 0, 1, new Rng(8));
        for (int i = 0; i < count; i++)
        {
            run.Optimizer.ZeroGrad();
            run.Model.Forward(x).Square().Sum().Backward();
            if (skipLastLayer) foreach (var p in run.Model.Parameters().Skip(4)) p.ZeroGrad();
            run.Optimizer.Step();
        }
        run.Scheduler.Step();
    }

    private static Dictionary<string, Rng> Generators(Run run) => new() { ["dropout"] = run.Dropout };

    [Test]
    public void TheFileUsesPyTorchNames()
    {
        var run = NewRun(1);
        Steps(run, 3);
        // A parameter that has never been updated has no state yet, as in PyTorch.
        var late = Tensor.Zeros<double>(2).Detach();
        late.RequiresGrad = true;
        string path = File("run.safetensors");
        Checkpoint.Save(path, run.Model, run.Optimizer, run.Scheduler, new TrainingPosition(1, 0), Generators(run), new Dictionary<string, string> { ["note"] = "mine" });

        var header = SafeTensors.ReadHeader(path);
        var tensors = header.Tensors.ToDictionary(t => t.Name);
        Assert.That(tensors.Keys, Is.SupersetOf(new[]
        {
            "model.0.weight", "model.1.running_mean", "model.1.num_batches_tracked", "model.3.bias",
            "optimizer.state.0.exp_avg", "optimizer.state.0.exp_avg_sq", "optimizer.state.0.step", "optimizer.state.5.exp_avg",
        }));
        Assert.That(tensors.Keys.Count(k => k.StartsWith("optimizer.state.")), Is.EqualTo(6 * 3));
        Assert.That((tensors["optimizer.state.0.step"].DType, tensors["optimizer.state.0.step"].Shape.Length), Is.EqualTo(("I64", 0)));
        Assert.That(tensors["optimizer.state.0.exp_avg"].Shape, Is.EqualTo(new[] { 4, 3 }), "shaped like its parameter");
        Assert.That(tensors["model.1.num_batches_tracked"].DType, Is.EqualTo("I64"));

        var meta = header.Metadata;
        Assert.That(meta["checkpoint.format"], Is.EqualTo(Checkpoint.FormatVersion));
        Assert.That(meta["optimizer.type"], Is.EqualTo("Adam"));
        Assert.That(meta["optimizer.param_groups.0.lr"], Is.EqualTo("0.005"), "0.01 halved by the schedule");
        Assert.That(meta["optimizer.param_groups.0.initial_lr"], Is.EqualTo("0.01"));
        Assert.That(meta["optimizer.param_groups.0.betas"], Is.EqualTo("[0.8, 0.9]"));
        Assert.That(meta["optimizer.param_groups.1.betas"], Is.EqualTo("[0.9, 0.999]"));
        Assert.That(meta["optimizer.param_groups.1.params"], Is.EqualTo("[2, 3, 4, 5]"));
        Assert.That(meta["optimizer.param_groups.1.param_names"], Is.EqualTo("""["1.weight","1.bias","3.weight","3.bias"]"""));
        Assert.That(meta["optimizer.param_groups.1.eps"], Is.EqualTo("1E-08"));
        Assert.That(meta["scheduler.type"], Is.EqualTo("StepLr"));
        Assert.That(meta["scheduler.last_epoch"], Is.EqualTo("1"));
        Assert.That(meta["scheduler.base_lrs"], Is.EqualTo("[0.01, 0.02]"));
        Assert.That((meta["position.epoch"], meta["position.batch"], meta["note"]), Is.EqualTo(("1", "0", "mine")));
        Assert.That(meta["rng.dropout"], Is.EqualTo(run.Dropout.SaveState()));

        var unstarted = new Adam<double>([late]);
        Checkpoint.Save(File("unstarted.safetensors"), run.Model, unstarted);
        Assert.That(SafeTensors.ReadHeader(File("unstarted.safetensors")).Tensors.Select(t => t.Name), Has.None.StartsWith("optimizer."));
    }

    [Test]
    public void LoadRestoresEveryPieceAndReturnsPositionAndMetadata()
    {
        var saved = NewRun(1);
        Steps(saved, 3, skipLastLayer: true);   // the last layer's parameters are never updated: they have no state
        string path = File("run.safetensors");
        Checkpoint.Save(path, saved.Model, saved.Optimizer, saved.Scheduler, new TrainingPosition(4, 2), Generators(saved), new Dictionary<string, string> { ["note"] = "mine" });

        var loaded = NewRun(2);
        Steps(loaded, 1);
        var info = Checkpoint.Load(path, loaded.Model, loaded.Optimizer, loaded.Scheduler, Generators(loaded));
        Assert.That(info.Position, Is.EqualTo(new TrainingPosition(4, 2)));
        Assert.That(info.Metadata, Is.EqualTo(new Dictionary<string, string> { ["note"] = "mine" }));
        Assert.That(loaded.Scheduler.Epoch, Is.EqualTo(1));
        Assert.That(loaded.Optimizer.Groups.Select(g => g.LearningRate), Is.EqualTo(saved.Optimizer.Groups.Select(g => g.LearningRate)));
        Assert.That(loaded.Dropout.SaveState(), Is.EqualTo(saved.Dropout.SaveState()));

        // The same next steps from both: identical parameters, buffers and counters.
        Steps(saved, 2);
        Steps(loaded, 2);
        foreach (var ((name, a), (_, b)) in saved.Model.NamedParameters().Zip(loaded.Model.NamedParameters()).Concat(saved.Model.NamedBuffers().Zip(loaded.Model.NamedBuffers())))
            Assert.That(b.ToArray(), Is.EqualTo(a.ToArray()), name);
        Assert.That(loaded.Model.NamedInt64Buffers()[0].Value.Value, Is.EqualTo(5));

        var modelOnly = NewRun(3);
        Assert.That(Checkpoint.Load(path, modelOnly.Model).Position, Is.EqualTo(new TrainingPosition(4, 2)), "the optimizer part is optional");
        Assert.That(modelOnly.Scheduler.Epoch, Is.Zero);
    }

    private static void AssertRejected(string path, Run target, string message, Optimizer<double>? optimizer = null, LrScheduler? scheduler = null)
    {
        var before = target.Model.Parameters().Select(p => p.ToArray()).ToArray();
        var rates = target.Optimizer.Groups.Select(g => g.LearningRate).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target.Model, optimizer ?? target.Optimizer, scheduler));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("nothing was loaded").And.Contain(message));
        Assert.That(target.Model.Parameters().Select(p => p.ToArray()), Is.EqualTo(before));
        Assert.That(target.Optimizer.Groups.Select(g => g.LearningRate), Is.EqualTo(rates));
    }

    [Test]
    public void DifferencesAreListedAndNothingIsLoaded()
    {
        var saved = NewRun(1);
        Steps(saved, 2);
        string path = File("run.safetensors");
        Checkpoint.Save(path, saved.Model, saved.Optimizer, saved.Scheduler);

        var other = NewRun(2, firstBetas: (0.7, 0.9));
        AssertRejected(path, other, "'optimizer.param_groups.0.betas' is [0.8, 0.9] in the checkpoint but [0.7, 0.9] in the optimizer", scheduler: other.Scheduler);

        var run = NewRun(3);
        var sgd = new Sgd<double>(run.Model.Parameters(), 0.1, momentum: 0.9);
        AssertRejected(path, run, "the optimizer is Adam in the checkpoint but Sgd here", optimizer: sgd);
        AssertRejected(path, run, "the checkpoint has 2 parameter groups, the optimizer 1", optimizer: new Adam<double>(run.Model.Parameters()));

        // Same shapes, another order: only the recorded names tell the groups apart.
        var swapped = NewRun(4);
        var p = swapped.Model.Parameters();
        var reordered = new Adam<double>([new ParamGroup<double>([p[2], p[3]], lr: 0.01, betas: (0.8, 0.9)), new ParamGroup<double>([p[0], p[1], p[4], p[5]])], lr: 0.02);
        AssertRejected(path, swapped, "parameter group 0 optimizes", optimizer: reordered);

        Checkpoint.Save(path, saved.Model, saved.Optimizer);
        AssertRejected(path, run, "the checkpoint holds no scheduler", scheduler: run.Scheduler);

        saved.Model.Save(File("model.safetensors"));
        Assert.That(Assert.Throws<InvalidDataException>(() => Checkpoint.Load(File("model.safetensors"), run.Model))!.Message,
            Does.Contain("not a checkpoint of this library").And.Contain("Module.Load"));
        var wider = new Sequential<double>(new Linear<double>(3, 5), new TestBatchNorm<double>(5), new Dropout<double>(0.25), new Linear<double>(5, 2));
        Assert.That(Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, wider))!.Message,
            Does.Contain("'model.0.weight' is [4, 3] in the file but [5, 3] in the model"));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var run = NewRun(1);
        Assert.That(Assert.Throws<ArgumentException>(() => Checkpoint.Save(File("x"), run.Model, run.Optimizer, metadata: new Dictionary<string, string> { ["optimizer.lr"] = "1" }))!.Message,
            Does.Contain("'optimizer.lr' is reserved"));
        Assert.That(Assert.Throws<ArgumentException>(() => Checkpoint.Save(File("x"), run.Model, scheduler: run.Scheduler))!.Message,
            Does.Contain("pass the optimizer too"));
        var another = new Adam<double>(run.Model.Parameters());
        Assert.That(Assert.Throws<ArgumentException>(() => Checkpoint.Load(File("x"), run.Model, another, run.Scheduler))!.Message,
            Does.Contain("drives another optimizer"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Checkpoint.Save(File("x"), run.Model, position: new TrainingPosition(-1, 0)));
        Assert.That(System.IO.File.Exists(File("x")), Is.False);
    }
}
