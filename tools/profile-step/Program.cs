// Training steps of the benchmark MLPs for callgrind (docs/BENCHMARKS.md, "Where a step's instructions go"): the tape
// step of Autograd.Benchmarks' TrainingStepBenchmarks (Sequential of Linear and ReLU, CrossEntropyLoss, Sgd, one
// TensorScope per step) on a seeded synthetic batch, one thread. WarmUpStep runs first so that pools and nodes exist;
// only MeasuredStep is collected:
//   strip --strip-debug -o /tmp/profile-step/ProfileStep.nodebug /tmp/profile-step/ProfileStep   (valgrind rejects the ILC's DWARF)
//   valgrind --tool=callgrind --toggle-collect='*MeasuredStep*' /tmp/profile-step/ProfileStep.nodebug mlp2 64 10
// With --phases (run on the JIT, so with the CPU's AVX-512 kernels) it times the phases of each step in thread CPU time
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID): time the thread was not running is not counted) and prints their medians:
//   dotnet run -c Release --project tools/profile-step -- deep 64 2000 --phases
// `cnn` is the Examples' `train --model cnn` network with SGD + momentum; `conv-samples` times its convolution kernels
// with forced samples per product (docs/BENCHMARKS.md, issue #13):
//   dotnet run -c Release --project tools/profile-step -- cnn 64 300 --phases
//   dotnet run -c Release --project tools/profile-step -- conv-samples 41 1,2,3,4,8
using System.Runtime.CompilerServices;
using Autograd;
using Autograd.Nn;

if (args is ["conv-samples", var roundsArg, var countsArg]) return ConvSamples.Run(int.Parse(roundsArg, System.Globalization.CultureInfo.InvariantCulture), countsArg);
bool phases = args is [_, _, _, "--phases"];
if (args.Length != 3 && !phases)
{
    Console.Error.WriteLine("usage: ProfileStep NETWORK(mlp1|mlp2|deep|cnn) BATCH MEASURED_STEPS [--phases]");
    Console.Error.WriteLine("       ProfileStep conv-samples ROUNDS COUNTS   (e.g. conv-samples 41 1,2,4,8)");
    return 2;
}
int[] sizes = args[0] switch
{
    "mlp1" => [784, 10],
    "mlp2" => [784, 196, 10],
    "deep" => [784, 500, 200, 100, 30, 30, 30, 10],
    "cnn" => [784, 10],
    _ => throw new ArgumentException($"ProfileStep: unknown network '{args[0]}' (mlp1, mlp2, deep, cnn)"),
};
int batch = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
int steps = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
Parallelism.MaxThreads = 1;
var rng = new Rng(1);
var model = new Sequential<float>();
if (args[0] == "cnn")
{
    // The Examples' `train --model cnn` (Models.Cnn), with its SGD + momentum 0.9.
    model.Add(new Unflatten<float>(1, 1, 28, 28));
    foreach (var (from, to) in new[] { (1, 32), (32, 64) })
    {
        model.Add(new Conv2d<float>(from, to, kernelSize: 3, padding: 1, rng: rng));
        model.Add(new ReLU<float>());
        model.Add(new MaxPool2d<float>(2));
    }
    model.Add(new Flatten<float>());
    model.Add(new Linear<float>(64 * 7 * 7, 128, rng: rng));
    model.Add(new ReLU<float>());
    model.Add(new Linear<float>(128, 10, rng: rng));
}
else
    for (int l = 0; l + 1 < sizes.Length; l++)
    {
        model.Add(new Linear<float>(sizes[l], sizes[l + 1], rng: rng));
        if (l + 2 < sizes.Length) model.Add(new ReLU<float>());
    }
var x = Tensor.ZerosAligned<float>(batch, sizes[0]);
rng.FillUniform<float>(x.AsSpan(), 0, 1);
var labels = new int[batch];
for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(sizes[^1]);
var criterion = new CrossEntropyLoss<float>();
var optimizer = new Sgd<float>(model.Parameters(), lr: 1e-4, momentum: args[0] == "cnn" ? 0.9 : 0);

if (phases) return TimePhases();

float loss = 0;
for (int s = 0; s < 3; s++) loss += WarmUpStep();
for (int s = 0; s < steps; s++) loss += MeasuredStep();
Console.WriteLine($"{args[0]} batch {batch}: {steps} measured steps, loss sum {loss}");
return 0;

[MethodImpl(MethodImplOptions.NoInlining)]
float WarmUpStep() => Step();

[MethodImpl(MethodImplOptions.NoInlining)]
float MeasuredStep() => Step();

float Step()
{
    using (TensorScope.Begin())
    {
        optimizer.ZeroGrad();
        var output = criterion.Forward(model.Forward(x), labels);
        output.Backward();
        optimizer.Step();
        return output.Item();
    }
}

// Medians over the measured steps of: forward and loss, backward, optimizer (ZeroGrad and Step), the whole step.
int TimePhases()
{
    for (int s = 0; s < Math.Max(20, steps / 10); s++) Step();
    var times = new double[4][];
    for (int p = 0; p < times.Length; p++) times[p] = new double[steps];
    for (int s = 0; s < steps; s++)
        using (TensorScope.Begin())
        {
            double start = ThreadCpu.Microseconds();
            optimizer.ZeroGrad();
            var output = criterion.Forward(model.Forward(x), labels);
            double forward = ThreadCpu.Microseconds();
            output.Backward();
            double backward = ThreadCpu.Microseconds();
            optimizer.Step();
            double end = ThreadCpu.Microseconds();
            (times[0][s], times[1][s], times[2][s], times[3][s]) = (forward - start, backward - forward, end - backward, end - start);
        }
    string[] names = ["forward and loss", "backward", "optimizer", "step"];
    Console.WriteLine($"{args[0]} batch {batch}, {steps} steps, thread CPU time, medians (µs):");
    for (int p = 0; p < names.Length; p++)
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {names[p],-18} {times[p].Order().ElementAt(steps / 2),10:F1}"));
    return 0;
}

/// <summary>
/// The convolution kernels of the cnn's two layers at batch 64 (float32, aligned buffers) with each given number of
/// samples per product forced (<c>Convolution.ForcedSamplesPerProduct</c>): every count once per round, interleaved,
/// and per count the median thread CPU time and the median of the per-round ratios first count's time / this count's
/// (docs/BENCHMARKS.md, "Several samples per product").
/// </summary>
internal static class ConvSamples
{
    public static int Run(int rounds, string countsArg)
    {
        var counts = countsArg.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Parallelism.MaxThreads = 1;
        var layers = new[]
        {
            ("conv1", new Autograd.Kernels.ConvGeometry(64, 1, 28, 28, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1)),
            ("conv2", new Autograd.Kernels.ConvGeometry(64, 32, 14, 14, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1)),
        };
        foreach (var (name, g) in layers)
        {
            var rng = new Rng(5);
            Tensor<float> Buffer(int length)
            {
                var t = Tensor.ZerosAligned<float>(length);
                rng.FillUniform<float>(t.AsSpan(), -1, 1);
                return t;
            }
            var xs = Buffer(g.InputLength); var w = Buffer(g.WeightLength); var b = Buffer(g.OutChannels); var y = Buffer(g.OutputLength);
            var dx = Buffer(g.InputLength); var dw = Buffer(g.WeightLength); var db = Buffer(g.OutChannels);
            int scratchLength = 0;
            foreach (int c in counts)
            {
                Autograd.Kernels.Convolution.ForcedSamplesPerProduct = c;
                scratchLength = Math.Max(scratchLength, Math.Max(Autograd.Kernels.Convolution.ForwardScratchLength<float>(g),
                    Math.Max(Autograd.Kernels.Convolution.BackwardDataScratchLength<float>(g), Autograd.Kernels.Convolution.BackwardWeightScratchLength<float>(g))));
            }
            var scratch = Buffer(scratchLength);
            foreach (var product in new[] { "forward", "input gradient", "weight gradient" })
            {
                var times = counts.Select(_ => new double[rounds]).ToArray();
                for (int r = -3; r < rounds; r++)
                    for (int i = 0; i < counts.Length; i++)
                    {
                        Autograd.Kernels.Convolution.ForcedSamplesPerProduct = counts[i];
                        double start = ThreadCpu.Microseconds();
                        if (product == "forward") Autograd.Kernels.Convolution.Forward<float>(g, xs.AsSpan(), w.AsSpan(), b.AsSpan(), y.AsSpan(), scratch.AsSpan());
                        else if (product == "input gradient") Autograd.Kernels.Convolution.BackwardData<float>(g, y.AsSpan(), w.AsSpan(), dx.AsSpan(), scratch.AsSpan(), accumulate: false);
                        else Autograd.Kernels.Convolution.BackwardWeight<float>(g, xs.AsSpan(), y.AsSpan(), dw.AsSpan(), db.AsSpan(), scratch.AsSpan(), false, false);
                        if (r >= 0) times[i][r] = ThreadCpu.Microseconds() - start;   // the first 3 rounds warm up
                    }
                Autograd.Kernels.Convolution.ForcedSamplesPerProduct = 0;
                Console.WriteLine($"{name} {product}:");
                for (int i = 0; i < counts.Length; i++)
                {
                    double median = times[i].Order().ElementAt(rounds / 2);
                    double ratio = times[0].Zip(times[i], (first, t) => first / t).Order().ElementAt(rounds / 2);
                    Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"  {counts[i],3} samples per product {median,10:F1} µs   paired ratio {ratio:F3}"));
                }
            }
        }
        return 0;
    }
}

/// <summary>The calling thread's CPU time: what a step costs while the thread runs, whatever else the machine runs.</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static double Microseconds()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
    }
}
