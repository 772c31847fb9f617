using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Autograd.Kernels;

/// <summary>A kernel call cut into independent parts; <see cref="KernelWorkers.Run"/> runs each part exactly once.</summary>
internal abstract class ParallelWork
{
    /// <summary>Runs part <paramref name="part"/> (0-based). Parts must not depend on each other or on which thread runs them.</summary>
    public abstract void RunPart(int part);
}

/// <summary>
/// Persistent helper threads (one per extra core) that run the parts of kernel calls beside the calling thread. Waking
/// a thread-pool item costs microseconds per call and a pool thread may be busy elsewhere; these threads spin for a
/// short while after each call, so the products of one training step, a few microseconds apart, find them awake, and
/// then block so an idle process uses no CPU. Parts are claimed dynamically: the caller runs parts too and takes over
/// any part no helper has started, so a call completes even when a helper is descheduled. Which thread runs a part
/// never changes its result, so results depend only on how the work was cut.
/// One call at a time uses the helpers; a concurrent (or nested) call runs its parts on its own thread.
/// </summary>
internal static class KernelWorkers
{
    // After a call, a helper keeps polling this long before it blocks: long enough to bridge the elementwise passes
    // between the products of a step, short enough not to burn a core that a neighbour process wants.
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;   // 50 µs

    private static readonly object StartLock = new();
    private static Thread[]? _threads;
    private static readonly ManualResetEventSlim[] Wake = CreateEvents(Math.Max(1, Environment.ProcessorCount - 1));
    private static readonly int[] Sleeping = new int[Wake.Length * 16];   // one flag per helper, each on its own cache line
    private static readonly ManualResetEventSlim Done = new(false, spinCount: 200);

    private static int _busy;
    // Claim word: generation << 32 | part count << 16 | next unclaimed part. Changed only by compare-exchange.
    private static long _claims;
    private static long _generation;
    private static int _pending;
    private static ParallelWork? _work;
    private static Exception? _error;
    private static long _partsRunByHelpers;

    /// <summary>Helper threads available (cores − 1).</summary>
    public static int HelperCount => Wake.Length;

    /// <summary>Parts that helper threads (not callers) have run since the process started; tests read it.</summary>
    public static long PartsRunByHelpers => Interlocked.Read(ref _partsRunByHelpers);

    /// <summary>Runs parts 0 … <paramref name="parts"/> − 1 of <paramref name="work"/>, on the calling thread and the helpers.</summary>
    public static void Run(ParallelWork work, int parts)
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) work.RunPart(p);
            return;
        }
        try
        {
            if (_threads is null) Start();
            _work = work;
            _error = null;
            _pending = parts;
            Done.Reset();
            long generation = ++_generation;
            // A locked write: publishes every field above, and orders it before the reads of the sleeping flags below.
            Interlocked.Exchange(ref _claims, generation << 32 | (long)parts << 16);
            for (int h = 0; h < Math.Min(parts - 1, Wake.Length); h++)
                if (Interlocked.CompareExchange(ref Sleeping[h * 16], 0, 1) == 1) Wake[h].Set();
            Claim(generation, helper: false);
            Done.Wait();
            _work = null;
            if (_error is { } error) ExceptionDispatchInfo.Throw(error);
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    // Claims and runs parts of call `generation` until none is left.
    private static void Claim(long generation, bool helper)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            int next = (int)(claims & 0xFFFF), parts = (int)((claims >> 16) & 0xFFFF);
            if (claims >> 32 != generation || next >= parts) return;
            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims) continue;
            // The claim succeeded, so the call is still waiting for this part and _work is its work.
            try { _work!.RunPart(next); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            if (helper) Interlocked.Increment(ref _partsRunByHelpers);
            if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
        }
    }

    private static void Start()
    {
        lock (StartLock)
        {
            if (_threads is not null) return;
            var threads = new Thread[Wake.Length];
            for (int h = 0; h < threads.Length; h++)
            {
                int index = h;
                threads[h] = new Thread(() => HelperLoop(index)) { IsBackground = true, Name = $"Autograd kernel helper {h + 1}" };
                threads[h].Start();
            }
            _threads = threads;
        }
    }

    private static void HelperLoop(int index)
    {
        long seen = Volatile.Read(ref _claims) >> 32;
        while (true)
        {
            long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            long generation;
            while ((generation = Volatile.Read(ref _claims) >> 32) == seen)
            {
                if (Stopwatch.GetTimestamp() < spinUntil) { Thread.SpinWait(16); continue; }
                // Block: announce it, then look once more, so a call published in between is not missed (the caller
                // reads the flag after publishing, with locked operations on both sides).
                Wake[index].Reset();
                Interlocked.Exchange(ref Sleeping[index * 16], 1);
                if (Volatile.Read(ref _claims) >> 32 == seen) Wake[index].Wait();
                Interlocked.Exchange(ref Sleeping[index * 16], 0);
                spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            }
            seen = generation;
            Claim(generation, helper: true);
        }
    }

    private static ManualResetEventSlim[] CreateEvents(int count)
    {
        var events = new ManualResetEventSlim[count];
        for (int i = 0; i < count; i++) events[i] = new ManualResetEventSlim(false, spinCount: 1);
        return events;
    }
}
