using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// The per-thread tapes of float and double (each owns its thread's buffer pool), as thread statics of a non-generic
/// class: the runtime reads those inline, while a thread static of a generic class goes through a helper call
/// (__tls_get_addr), which showed up at 1.5 % of a batch-1 training step. Every op reads one at least once.
/// </summary>
internal static class ThreadState
{
    [ThreadStatic] private static Tape<float>? _floatTape;
    [ThreadStatic] private static Tape<double>? _doubleTape;

    /// <summary>The calling thread's tape of <typeparamref name="T"/>, or null for types other than float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tape<T>? TapeOf<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<Tape<T>>(_floatTape ?? NewFloatTape());
        if (typeof(T) == typeof(double)) return Unsafe.As<Tape<T>>(_doubleTape ?? NewDoubleTape());
        return null;
    }

    // Out of line: with the allocation inside, the getter above was too big to inline into every op's Record.
    [MethodImpl(MethodImplOptions.NoInlining)] private static Tape<float> NewFloatTape() => _floatTape = new Tape<float>();
    [MethodImpl(MethodImplOptions.NoInlining)] private static Tape<double> NewDoubleTape() => _doubleTape = new Tape<double>();
}
