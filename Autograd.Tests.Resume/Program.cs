using System.Globalization;
using Autograd.Tests.Resume;

// Usage: Autograd.Tests.Resume OPTIMIZER TOTAL_STEPS OUT [--stop-after N CHECKPOINT] [--resume CHECKPOINT]
// (no option parser: only the test suite runs this).
try
{
    if (args.Length < 3) throw new ArgumentException("usage: OPTIMIZER TOTAL_STEPS OUT [--stop-after N CHECKPOINT] [--resume CHECKPOINT]");
    int? stopAfter = null;
    string? checkpoint = null, resume = null;
    for (int i = 3; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--stop-after" when i + 2 < args.Length:
                stopAfter = int.Parse(args[++i], CultureInfo.InvariantCulture);
                checkpoint = args[++i];
                break;
            case "--resume" when i + 1 < args.Length:
                resume = args[++i];
                break;
            default:
                throw new ArgumentException($"unknown or incomplete option '{args[i]}'");
        }
    }
    ResumableRun.Run(new ResumableRun.Options(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), stopAfter, checkpoint, resume, ResumeModelOnly: false, args[2]));
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"Autograd.Tests.Resume: {e.Message}");
    return 2;
}
