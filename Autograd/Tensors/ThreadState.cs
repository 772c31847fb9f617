using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// The per-thread tape and buffer pool of float and double, as thread statics of a non-generic class: the runtime
/// reads those inline, while a thread static of a generic class goes through a helper call (__tls_get_addr),
/// which showed up at 1.5 % of a batch-1 training step. Every op touches these two or more times.
/// </summary>
internal static class ThreadState
{
    [ThreadStatic] private static Tape<float>? _floatTape;
    [ThreadStatic] private static Tape<double>? _doubleTape;
    [ThreadStatic] private static TensorPool<float>.FreeLists? _floatPool;
    [ThreadStatic] private static TensorPool<double>.FreeLists? _doublePool;

    /// <summary>The calling thread's tape of <typeparamref name="T"/>, or null for types other than float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tape<T>? TapeOf<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<Tape<T>>(_floatTape ??= new Tape<float>());
        if (typeof(T) == typeof(double)) return Unsafe.As<Tape<T>>(_doubleTape ??= new Tape<double>());
        return null;
    }

    /// <summary>The calling thread's free lists of <typeparamref name="T"/> arrays (null until created, or for other types).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TensorPool<T>.FreeLists? PoolOf<T>(bool create) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Unsafe.As<TensorPool<T>.FreeLists>(create ? _floatPool ??= new TensorPool<float>.FreeLists() : _floatPool);
        if (typeof(T) == typeof(double))
            return Unsafe.As<TensorPool<T>.FreeLists>(create ? _doublePool ??= new TensorPool<double>.FreeLists() : _doublePool);
        return null;
    }

    /// <summary>Drops the calling thread's idle float and double buffers.</summary>
    public static void DropPools() { _floatPool = null; _doublePool = null; }
}
