namespace Autograd.Kernels;

/// <summary>
/// Process-wide limit on how many threads the compute kernels (GEMM) may use for one call.
/// At 1 the kernels run entirely on the calling thread and never touch the thread pool.
/// </summary>
public static class Threading
{
    private static volatile int _maxThreads = Environment.ProcessorCount;

    /// <summary>Upper bound on threads per kernel call; defaults to <see cref="Environment.ProcessorCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Threading.MaxThreads must be at least 1, got {value}.");
            _maxThreads = value;
        }
    }
}
