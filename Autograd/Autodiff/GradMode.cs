namespace Autograd;

/// <summary>Switches for recording: no-grad regions and anomaly detection.</summary>
public static class Grad
{
    [ThreadStatic] private static int _noGradDepth;
    private static volatile bool _detectAnomaly;

    /// <summary>False inside a <see cref="NoGrad"/> region on this thread: ops record nothing and keep nothing alive.</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>
    /// When true (all threads), the first op whose forward output or backward gradient holds NaN or ±Inf throws
    /// <see cref="AnomalyException"/> naming the op and the code that recorded it. Slower: use it to hunt a bad run.
    /// </summary>
    public static bool DetectAnomaly { get => _detectAnomaly; set => _detectAnomaly = value; }

    /// <summary>Starts a region in which no op is recorded (inference, optimizer updates). Dispose to end it.</summary>
    public static NoGradScope NoGrad()
    {
        var scope = new NoGradScope(_noGradDepth);
        _noGradDepth++;
        return scope;
    }

    /// <summary>Starts a region in which ops are recorded even inside a <see cref="NoGrad"/> region (a backward pass that records its gradients).</summary>
    internal static NoGradScope Enable()
    {
        var scope = new NoGradScope(_noGradDepth);
        _noGradDepth = 0;
        return scope;
    }

    /// <summary>The handle of a <see cref="NoGrad"/> region; a struct so that entering one allocates nothing.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly int _restore;
        private readonly bool _active;
        internal NoGradScope(int restore) { _restore = restore; _active = true; }
        /// <summary>Ends the region.</summary>
        public void Dispose() { if (_active) _noGradDepth = _restore; }
    }
}

/// <summary>Thrown in anomaly mode when an op produces NaN or infinity.</summary>
public sealed class AnomalyException(string message) : ArithmeticException(message);

/// <summary>Thrown by Backward when the graph it needs was already freed by an earlier Backward.</summary>
public sealed class GraphFreedException(string message) : InvalidOperationException(message);
