using System.Diagnostics;
using System.Reflection;

namespace Autograd;

/// <summary>
/// Where an op was called from, for anomaly-mode messages: the stack from the first frame outside this assembly,
/// so the message shows the user's code however the op's own helpers were inlined.
/// </summary>
internal static class RecordingSite
{
    private static readonly string? Core = typeof(RecordingSite).Assembly.GetName().Name;

    /// <summary>The calling thread's stack from its first frame outside the core assembly.</summary>
    public static string Capture()
    {
        // DiagnosticMethodInfo reads what the stack trace itself shows, so it also names the assembly under Native AOT,
        // where StackFrame.GetMethod has no reflection metadata to return.
        var frames = new StackTrace(1, true);
        int inside = 0;
        while (inside < frames.FrameCount && IsInsideCore(frames.GetFrame(inside))) inside++;
        return new StackTrace(1 + inside, true).ToString();
    }

    // Compared by simple name: the display name's version and key parts are not something to depend on here.
    private static bool IsInsideCore(StackFrame? frame) =>
        frame is not null && DiagnosticMethodInfo.Create(frame)?.DeclaringAssemblyName is string assembly
                          && new AssemblyName(assembly).Name == Core;
}
