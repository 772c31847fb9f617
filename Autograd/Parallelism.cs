namespace Autograd;

/// <summary>How many threads the library's compute kernels may use.</summary>
public static class Parallelism
{
    private static volatile int _maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Process-wide upper bound on the threads one kernel call (a matrix product) may use; defaults to
    /// <see cref="Environment.ProcessorCount"/>. At 1 every kernel runs on the calling thread and hands no work to the
    /// library's helper threads, which suits processes that run one training loop per core. Results have the same bits
    /// for every setting.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Parallelism.MaxThreads must be at least 1, got {value}.");
            _maxThreads = value;
        }
    }
}
