using System.Diagnostics;
using System.Reflection;

namespace Autograd;

/// <summary>Where an op was recorded, for anomaly-mode messages.</summary>
internal static class RecordingSite
{
    /// <summary>The stack from the first frame outside <paramref name="core"/>: the code that called the op, however the op's own helpers were inlined.</summary>
    public static string Of(Assembly core)
    {
        var frames = new StackTrace(1, true);
        int inside = 0;
        while (inside < frames.FrameCount && frames.GetFrame(inside)?.GetMethod()?.DeclaringType?.Assembly == core) inside++;
        return new StackTrace(1 + inside, true).ToString();
    }
}
