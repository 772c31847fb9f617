namespace Autograd.Kernels;

/// <summary>
/// Process-wide limit on how many threads the compute kernels (GEMM) may use for one call.
/// At 1 the kernels run entirely on the calling thread and never touch the thread pool.
/// </summary>
public static class Threading
{
    private static int _maxThreads = Environment.ProcessorCount;
    private static ParallelOptions _options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Upper bound on threads per kernel call; defaults to <see cref="Environment.ProcessorCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Threading.MaxThreads must be at least 1, got {value}.");
            // Options are immutable once published so a kernel running concurrently never sees a half-updated pair.
            _options = new ParallelOptions { MaxDegreeOfParallelism = value };
            _maxThreads = value;
        }
    }

    /// <summary>Cached options for <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>, so calls allocate none.</summary>
    internal static ParallelOptions Options => _options;
}
