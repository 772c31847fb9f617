using Autograd.Benchmarks.Networks;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// Where the first layer's weights start relative to a 64-byte boundary in each implementation. At batch 1 the forward
/// product is a matrix–vector product whose AVX-512 loads split across cache lines unless W is 64-byte aligned (about
/// 40 % slower measured for 784→196); managed arrays are only 8/16-byte aligned, so this is luck of the allocation and
/// is logged with each run to explain batch-1 differences that are not the tape's.
/// </summary>
internal static unsafe class WeightAlignment
{
    public static void Log<T>(HandDerivedMlp<T> hand, TapeMlp<T> tape) where T : unmanaged, IFloatingPointIeee754<T> =>
        Console.WriteLine($"// first-layer weight address mod 64: hand {Mod64<T>(hand.Weights[0])} B, tape {Mod64(tape.Weights[0].AsReadOnlySpan())} B");

    private static long Mod64<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        fixed (T* p = values) return (long)p % 64;
    }
}
