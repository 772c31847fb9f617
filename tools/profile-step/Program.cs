// Training steps of the benchmark MLPs for callgrind (docs/BENCHMARKS.md, "Where a step's instructions go"): the tape
// step of Autograd.Benchmarks' TrainingStepBenchmarks (Sequential of Linear and ReLU, CrossEntropyLoss, Sgd, one
// TensorScope per step) on a seeded synthetic batch, one thread. WarmUpStep runs first so that pools and nodes exist;
// only MeasuredStep is collected:
//   strip --strip-debug -o /tmp/profile-step/ProfileStep.nodebug /tmp/profile-step/ProfileStep   (valgrind rejects the ILC's DWARF)
//   valgrind --tool=callgrind --toggle-collect='*MeasuredStep*' /tmp/profile-step/ProfileStep.nodebug mlp2 64 10
// With --phases (run on the JIT, so with the CPU's AVX-512 kernels) it times the phases of each step in thread CPU time
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID): time the thread was not running is not counted) and prints their medians:
//   dotnet run -c Release --project tools/profile-step -- deep 64 2000 --phases
using System.Runtime.CompilerServices;
using Autograd;
using Autograd.Nn;

bool phases = args is [_, _, _, "--phases"];
if (args.Length != 3 && !phases)
{
    Console.Error.WriteLine("usage: ProfileStep NETWORK(mlp1|mlp2|deep) BATCH MEASURED_STEPS [--phases]");
    return 2;
}
int[] sizes = args[0] switch
{
    "mlp1" => [784, 10],
    "mlp2" => [784, 196, 10],
    "deep" => [784, 500, 200, 100, 30, 30, 30, 10],
    _ => throw new ArgumentException($"ProfileStep: unknown network '{args[0]}' (mlp1, mlp2, deep)"),
};
int batch = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
int steps = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
Parallelism.MaxThreads = 1;
var rng = new Rng(1);
var model = new Sequential<float>();
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
var optimizer = new Sgd<float>(model.Parameters(), lr: 1e-4);

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
