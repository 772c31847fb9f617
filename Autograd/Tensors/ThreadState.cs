using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// The per-thread buffer pools of float and double, as thread statics of a non-generic class: the runtime reads
/// those inline, while a thread static of a generic class goes through a helper call (__tls_get_addr), which showed
/// up in profiles of batch-1 training steps. Every op reads one at least once.
/// </summary>
internal static class ThreadState
{
    [ThreadStatic] private static TensorPool<float>.FreeLists? _floatPool;
    [ThreadStatic] private static TensorPool<double>.FreeLists? _doublePool;

    /// <summary>The calling thread's pool of <typeparamref name="T"/> arrays, or null for types other than float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TensorPool<T>.FreeLists? PoolOf<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<TensorPool<T>.FreeLists>(_floatPool ?? NewFloatPool());
        if (typeof(T) == typeof(double)) return Unsafe.As<TensorPool<T>.FreeLists>(_doublePool ?? NewDoublePool());
        return null;
    }

    // Out of line: with the allocation inside, the getter above was too big to inline into every op.
    [MethodImpl(MethodImplOptions.NoInlining)] private static TensorPool<float>.FreeLists NewFloatPool() => _floatPool = new();
    [MethodImpl(MethodImplOptions.NoInlining)] private static TensorPool<double>.FreeLists NewDoublePool() => _doublePool = new();
}
