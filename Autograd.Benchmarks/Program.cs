using Autograd.Benchmarks.Paired;
using Autograd.Benchmarks.Smoke;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project Autograd.Benchmarks -- --filter '*'          every suite, measured by BenchmarkDotNet
// dotnet run -c Release --project Autograd.Benchmarks -- --smoke [substring…]  every case once, in process (CI)
// dotnet run -c Release --project Autograd.Benchmarks -- --paired [net/batch…] tape/hand step ratio, alternating rounds
//     (--paired --one-thread …: with Parallelism.MaxThreads = 1, the per-core ratio without the helper threads;
//      --paired --copies N …: each case set up N times, the rounds cycling through the copies)
// dotnet run -c Release --project Autograd.Benchmarks -- --threads [case…]     2-thread/1-thread speed-up, alternating rounds
// dotnet run -c Release --project Autograd.Benchmarks -- --peak                one core's FMA peak; our GEMM and OpenBLAS against it
// This assembly is named through SmokeRunner: the Examples' internals (their top-level Program too) are visible here.
if (args.Length > 0 && args[0] == "--smoke")
    return SmokeRunner.Run(typeof(SmokeRunner).Assembly, args[1..]);
if (args.Length > 0 && args[0] == "--paired")
{
    var options = args[1..].ToList();
    bool oneThread = options.Remove("--one-thread");
    int copies = 1;
    if (options.IndexOf("--copies") is var at and >= 0)
    {
        if (at + 1 >= options.Count || !int.TryParse(options[at + 1], out copies) || copies < 1)
            throw new ArgumentException($"--paired: --copies needs a positive whole number, got '{(at + 1 < options.Count ? options[at + 1] : "")}'.");
        options.RemoveRange(at, 2);
    }
    if (oneThread) Autograd.Parallelism.MaxThreads = 1;
    return PairedStepRunner.Run(options, copies: copies);
}
if (args.Length > 0 && args[0] == "--threads")
    return ThreadScalingRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "--peak")
    return Autograd.Benchmarks.Linalg.PeakRunner.Run();

BenchmarkSwitcher.FromAssembly(typeof(SmokeRunner).Assembly).Run(args);
return 0;
