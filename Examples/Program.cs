using System.CommandLine;
using Autograd.Examples;
using Autograd.Examples.Reporting;
using Autograd.Examples.Training;
using Autograd.Nn;

var recipes = Labs.All.Concat(Models.All).ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);

var lab = new Option<string?>("--lab") { Description = "A course lab: " + string.Join(", ", Labs.All.Select(r => r.Name)) };
lab.AcceptOnlyFromAmong(Labs.All.Select(r => r.Name).ToArray());
var model = new Option<string?>("--model") { Description = "A recommended or custom network: " + string.Join(", ", Models.All.Select(r => r.Name)) };
model.AcceptOnlyFromAmong(Models.All.Select(r => r.Name).ToArray());
var data = new Option<string?>("--data") { Description = "Folder of MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST) or CIFAR-10 binary batches; 'mnist' downloads full MNIST. Default: the bundled 10,000 digits." };
var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the recipe's)" };
var batch = new Option<int?>("--batch") { Description = "Mini-batch size (default: the recipe's; 0 = full batch)" };
var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the recipe's)" };
var optimizer = new Option<OptimizerKind?>("--optimizer") { Description = "sgd or adam (default: the recipe's)" };
var seed = new Option<ulong?>("--seed") { Description = "Seed of initialization and shuffling" };
var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: every core); 1 runs on exactly one thread" };
var outDir = new Option<string?>("--out") { Description = "Write metrics.csv, chart.png and model.safetensors into this folder, and checkpoint.safetensors after every epoch" };
var resume = new Option<string?>("--resume") { Description = "Continue the run that wrote this checkpoint (its settings come from the file; outputs go to its folder unless --out is given)" };
var onnx = new Option<string?>("--onnx") { Description = "Write the trained network to this ONNX file (opset 17, dynamic batch axis) for ONNX Runtime and other tools" };
var anomaly = new Option<bool>("--detect-anomaly") { Description = "Throw at the first op that produces NaN or Inf, naming it" };
foreach (var o in new Option[] { epochs, batch, threads })
    o.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is int v && v < (o == batch ? 0 : 1)) r.AddError($"{o.Name} must be {(o == batch ? "≥ 0" : "≥ 1")}, got {v}."); });
lr.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is double v && !(v > 0)) r.AddError($"--lr must be > 0, got {v}."); });

var train = new Command("train", "Train a lab network or a model and report per-epoch metrics; ends with one 'final …' line.")
    { lab, model, data, epochs, batch, lr, optimizer, seed, threads, outDir, resume, onnx, anomaly };
train.SetAction(parse =>
{
    if (parse.GetValue(lab) is not null && parse.GetValue(model) is not null)
    {
        Console.Error.WriteLine("train: give --lab or --model, not both.");
        return 2;
    }
    var options = new TrainOptions
    {
        Recipe = parse.GetValue(lab) ?? parse.GetValue(model),
        Data = parse.GetValue(data), Epochs = parse.GetValue(epochs), Batch = parse.GetValue(batch),
        LearningRate = parse.GetValue(lr), Optimizer = parse.GetValue(optimizer), Seed = parse.GetValue(seed),
        Threads = parse.GetValue(threads), OutDirectory = parse.GetValue(outDir), Resume = parse.GetValue(resume),
        OnnxPath = parse.GetValue(onnx),
    };
    if (options.Resume is not null)
    {
        try { options = TrainCommand.ResumeSettings(options); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
        {
            Console.Error.WriteLine($"train: {e.Message}");
            return 2;
        }
        if (options.Recipe is { } saved && !recipes.ContainsKey(saved))
        {
            Console.Error.WriteLine($"train: --resume '{options.Resume}': the checkpoint's recipe '{saved}' does not exist.");
            return 2;
        }
    }
    var recipe = options.ApplyTo(options.Recipe is null ? Models.Default : recipes[options.Recipe]);
    Grad.DetectAnomaly = parse.GetValue(anomaly);
    return TrainCommand.Run(recipe, options, Console.Out);
});

var samples = new Option<int>("--samples") { Description = "Training samples in the loss", DefaultValueFactory = _ => 100 };
var gradcheck = new Command("gradcheck-demo", "Lab L3-WP done right: finite-difference gradient of the L3 network beside the tape's, their largest difference and the time each took.")
    { samples };
gradcheck.SetAction(parse => GradCheckDemo.Run(parse.GetValue(samples), Console.Out));

var summary = new Command("summary", "Print the layer table of every lab and model network.");
summary.SetAction(_ =>
{
    foreach (var r in recipes.Values)
    {
        int inputs = r.Name.StartsWith("L4", StringComparison.Ordinal) ? 3072 : 784;
        Console.WriteLine($"{r.Name}: {r.Description}");
        Console.WriteLine(r.Model(inputs, 10, new Rng(r.Seed)).Summary(new Autograd.Shape(1, inputs)));
    }
    return 0;
});

var pinnSteps = new Option<int>("--steps") { Description = "Adam steps", DefaultValueFactory = _ => 8000 };
var pinnPoints = new Option<int>("--points") { Description = "Collocation points on [0, 1]", DefaultValueFactory = _ => 64 };
var pinnLr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 };
var pinnSeed = new Option<ulong>("--seed") { Description = "Seed of the initialization", DefaultValueFactory = _ => 1 };
var pinnOut = new Option<string?>("--out") { Description = "Write pinn.png (u against the exact solution) into this folder" };
var pinnThreads = new Option<int>("--threads") { Description = "Threads for the kernels (its products are tiny: one is fastest)", DefaultValueFactory = _ => 1 };
pinnSteps.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--steps must be ≥ 1."); });
pinnPoints.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 2) r.AddError("--points must be ≥ 2."); });
pinnThreads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be ≥ 1."); });
pinnLr.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--lr must be > 0."); });
var pinn = new Command("pinn", "Solve u″ = −π² sin(πx), u(0) = u(1) = 0 with a physics-informed tanh network, u″ taken from the tape (second order); ends with one 'final …' line.")
    { pinnSteps, pinnPoints, pinnLr, pinnSeed, pinnOut, pinnThreads };
pinn.SetAction(parse =>
{
    Autograd.Kernels.Threading.MaxThreads = parse.GetValue(pinnThreads);
    return Autograd.Examples.Pinn.PinnCommand.Run(new(parse.GetValue(pinnSteps), parse.GetValue(pinnPoints), parse.GetValue(pinnLr),
        parse.GetValue(pinnSeed), OutDirectory: parse.GetValue(pinnOut)), Console.Out);
});

var root = new RootCommand("Autograd examples: train the course labs and our networks with automatic differentiation.") { train, gradcheck, summary, pinn };
return root.Parse(args).Invoke();
