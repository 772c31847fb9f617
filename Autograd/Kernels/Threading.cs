namespace Autograd.Kernels;

/// <summary>The kernels' view of the public setting <see cref="Parallelism.MaxThreads"/>.</summary>
internal static class Threading
{
    /// <summary>Upper bound on threads per kernel call.</summary>
    public static int MaxThreads => Parallelism.MaxThreads;
}
