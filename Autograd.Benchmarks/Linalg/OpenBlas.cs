using System.Runtime.InteropServices;

namespace Autograd.Benchmarks.Linalg;

/// <summary>
/// OpenBLAS's cblas_sgemm through a function pointer, when the shared library is installed (Debian: libopenblas0).
/// Loaded at run time, never linked, so that building and running the benchmarks never require it.
/// </summary>
/// <remarks>
/// OpenBLAS picks its kernels from the CPU model. A model newer than the library (Debian 12's 0.3.21 on a recent Xeon
/// under KVM) falls back to "Prescott", SSE3 kernels 5× slower than it can be. So before loading, unless the user set
/// OPENBLAS_CORETYPE, it is set to SkylakeX on CPUs with AVX-512 (Haswell with AVX2): the kernels OpenBLAS itself uses for
/// those instruction sets. <see cref="Description"/> names the kernels actually in use.
/// </remarks>
public static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly string[] Candidates = ["libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "libopenblas.so", "libopenblas"];

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static readonly delegate* unmanaged<int, void> SetNumThreads;

    /// <summary>Where the library was found, or null when it is absent.</summary>
    public static string? LoadedFrom { get; }

    public static bool IsAvailable => LoadedFrom is not null;

    /// <summary>OpenBLAS's build configuration and the kernel set in use, e.g. "OpenBLAS 0.3.21 … (core SkylakeX)".</summary>
    public static string Description { get; } = "";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    static OpenBlas()
    {
        if (OperatingSystem.IsLinux())
        {
            // Native getenv does not see Environment.SetEnvironmentVariable on Unix, hence libc's setenv (no overwrite).
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) SetEnv("OPENBLAS_CORETYPE", "SkylakeX", 0);
            else if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) SetEnv("OPENBLAS_CORETYPE", "Haswell", 0);
        }
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm) &&
                NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var threads))
            {
                Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
                SetNumThreads = (delegate* unmanaged<int, void>)threads;
                LoadedFrom = name;
                Description = Describe(handle);
                return;
            }
            NativeLibrary.Free(handle);
        }
    }

    private static string Describe(IntPtr handle)
    {
        string config = NativeLibrary.TryGetExport(handle, "openblas_get_config", out var c) ? Marshal.PtrToStringAnsi(((delegate* unmanaged<IntPtr>)c)()) ?? "" : "";
        string core = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var k) ? Marshal.PtrToStringAnsi(((delegate* unmanaged<IntPtr>)k)()) ?? "?" : "?";
        return $"{config} (core {core})";
    }

    private static void ThrowIfUnavailable()
    {
        if (!IsAvailable)
            throw new InvalidOperationException($"OpenBLAS: none of {string.Join(", ", Candidates)} could be loaded (install the Debian package libopenblas0).");
    }

    /// <summary>Limits OpenBLAS to <paramref name="threads"/> threads (1 for a single-core comparison).</summary>
    public static void SetThreads(int threads)
    {
        ThrowIfUnavailable();
        SetNumThreads(threads);
    }

    /// <summary>
    /// C[m×n] = op(A)·op(B) on row-major storage with the same conventions as <see cref="Autograd.Kernels.Gemm.Multiply{T}"/>:
    /// A is m×k (k×m when <paramref name="transA"/>), B is k×n (n×k when <paramref name="transB"/>). The arrays must be pinned.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float[] a, float[] b, float[] c)
    {
        ThrowIfUnavailable();
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"OpenBLAS sgemm: arrays too short for m={m} n={n} k={k} (A {a.Length}, B {b.Length}, C {c.Length}).");
        fixed (float* pa = a, pb = b, pc = c)
            Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, 1f,
                pa, transA ? m : k, pb, transB ? k : n, 0f, pc, n);
    }
}
