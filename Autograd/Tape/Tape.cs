using System.Diagnostics;
using System.Numerics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

/// <summary>
/// The per-thread record of ops (define-by-run). Ops are appended in execution order, which is a topological
/// order, so backward is a reverse loop over the list. Entries are structs in an array that is cleared and
/// reused, not reallocated, from one step to the next.
/// </summary>
internal sealed class Tape<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static Tape<T>? _current;   // element types other than float and double only

    private TapeEntry<T>[] _entries = new TapeEntry<T>[64];

    /// <summary>
    /// The thread's free lists of <typeparamref name="T"/> arrays (<see cref="TensorPool{T}"/>). Kept here so that
    /// backward, which reaches the tape through the tensors, rents and returns gradient buffers without a thread-static read.
    /// </summary>
    internal readonly TensorPool<T>.FreeLists Pool = new();

    private readonly T[] _seed = new T[1];   // the gradient of a scalar root while backward runs
    private int _count;
    private int _generation;
    private bool _retaining;   // true while a backward that keeps the graph (retainGraph) replays it

    /// <summary>The tape of the calling thread.</summary>
    public static Tape<T> Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ThreadState.TapeOf<T>() ?? (_current ??= new Tape<T>());
    }

    public int Count => _count;

    /// <summary>True if an op with these inputs must be recorded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ShouldRecord(Tensor<T> a, Tensor<T>? b = null, Tensor<T>? c = null) =>
        Grad.IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>
    /// Records an op on the current thread's tape and returns its entry so the caller can save what backward needs.
    /// Call only when <see cref="ShouldRecord"/> is true.
    /// </summary>
    public static ref TapeEntry<T> Record(string op, Tensor<T> output, BackwardFn<T> backward,
        Tensor<T> a, Tensor<T>? b = null, Tensor<T>? c = null)
    {
        var tape = Current;
        if (tape._count == tape._entries.Length) Array.Resize(ref tape._entries, tape._count * 2);
        int index = tape._count++;
        // Entries past the count are default already: Clear wipes the ones it used, and Resize adds fresh ones.
        ref var e = ref tape._entries[index];
        e.Op = op; e.Backward = backward; e.Output = output; e.A = a;
        // Only non-null inputs are stored: each reference store is a write-barrier call, and the slots are null already.
        if (b is not null) e.B = b;
        if (c is not null) e.C = c;
        output.MarkRecorded(tape, index, tape._generation);
        if (Grad.DetectAnomaly) CheckRecorded(ref e);
        return ref e;
    }

    // Anomaly mode only, so out of line: a StackTrace inlined into every op enlarged their frames.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckRecorded(ref TapeEntry<T> e)
    {
        e.Site = RecordingSite.Capture();
        CheckFinite(e.Output.AsReadOnlySpan(), e.Op, "forward output", e.Site);
    }

    /// <summary>Checks an op result in anomaly mode even when nothing is recorded (no-grad inference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckForward(string op, Tensor<T> output)
    {
        if (Grad.DetectAnomaly) CheckUnrecorded(op, output);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckUnrecorded(string op, Tensor<T> output) =>
        CheckFinite(output.AsReadOnlySpan(), op, "forward output", RecordingSite.Capture());

    internal string OpNameOf(Tensor<T> t) =>
        t.Generation == _generation && t.Node < _count ? _entries[t.Node].Op : "an op whose graph was already freed";

    /// <summary>
    /// The gradient accumulator of <paramref name="x"/> when gradients must flow to it: backward adds into it.
    /// Leaves get a persistent buffer; intermediates get a pooled one released after use.
    /// </summary>
    public static bool TryGrad(Tensor<T>? x, out Span<T> grad)
    {
        if (!TryGrad(x, out grad, out bool overwrite)) return false;
        if (overwrite) grad.Clear();
        return true;
    }

    /// <summary>
    /// The gradient buffer of <paramref name="x"/> when gradients must flow to it. When <paramref name="overwrite"/>
    /// is true the buffer holds nothing yet (first write of this backward, or after ZeroGrad) and the caller must
    /// assign every element; otherwise it must add. Hot backward functions use this to skip a clearing pass and
    /// run their kernels in assign mode (PyTorch's "first gradient is stolen, later ones are accumulated").
    /// The caller must finish writing before asking again for the same tensor (an op may take x twice).
    /// </summary>
    public static bool TryGrad(Tensor<T>? x, out Span<T> grad, out bool overwrite)
    {
        if (x is null || !x.RequiresGrad) { grad = default; overwrite = false; return false; }
        if (!x.IsLeaf)
        {
            var node = x.NodeGrad;
            overwrite = node is null;
            if (node is null)
            {
                if (x.Generation != x.Tape!._generation)
                    throw new GraphFreedException(
                        $"Backward: a {x.Shape} tensor in this graph was produced by an op whose graph was already freed by an earlier Backward(). " +
                        "Pass retainGraph: true to the first Backward to go through a graph twice.");
                x.NodeGrad = node = x.Tape.Pool.Rent(x.Length, out x.NodeGradOffset);
            }
            grad = new Span<T>(node, x.NodeGradOffset, x.Length);
            return true;
        }
        var g = x.TakeGradBuffer(out overwrite);
        if (g is null)
        {
            // A leaf's gradient lives as long as the leaf (a parameter's, for the whole training): aligned, like the parameter.
            var storage = AlignedStorage.AllocateUninitialized<T>(x.Length, out int offset);
            g = new Tensor<T>(x.Shape, storage, offset, null, pooled: false);
            x.Grad = g;
            overwrite = true;
        }
        grad = g.AsSpan();
        return true;
    }

    /// <summary>
    /// Makes <paramref name="buffer"/> (a pooled array the caller owns, e.g. a saved buffer its backward just turned
    /// into the input gradient) the gradient of <paramref name="x"/>, if x is an op result whose gradient nothing has
    /// written yet in this backward; the tape then owns the buffer. Saves renting a buffer and a copying pass. Refused
    /// (false) while replaying a retained graph, whose next backward still needs the caller's saved buffer.
    /// </summary>
    public static bool TryAdoptGrad(Tensor<T>? x, T[] buffer, int offset)
    {
        if (x is null || !x.RequiresGrad || x.IsLeaf || x.NodeGrad is not null) return false;
        var tape = x.Tape!;
        if (tape._retaining || x.Generation != tape._generation) return false;
        x.NodeGrad = buffer;
        x.NodeGradOffset = offset;
        return true;
    }

    internal static void RunBackward(Tensor<T> root, Tensor<T>? gradOutput, bool retainGraph)
    {
        // Checked before seeding: a rejected call must leave no gradient behind for the next, valid one.
        var tape = root.Tape;
        if (!root.RequiresGrad || (gradOutput is null ? root.Length != 1 : gradOutput.Shape != root.Shape) ||
            (tape is not null && tape != Current))
            ThrowBadBackward(root, gradOutput);

        if (gradOutput is null && tape is not null && root.NodeGrad is null && root.Generation == tape._generation)
        {
            // The usual root, a scalar loss: its gradient 1 lives in the tape's own seed, not in a pooled buffer.
            tape._seed[0] = T.One;
            root.NodeGrad = tape._seed;
            root.NodeGradOffset = 0;
            tape.Replay(root.Node, retainGraph);
            return;
        }
        TryGrad(root, out var seed, out bool fresh);  // throws GraphFreedException for a freed graph
        if (gradOutput is null) seed[0] = fresh ? T.One : seed[0] + T.One;
        else if (fresh) gradOutput.AsReadOnlySpan().CopyTo(seed);
        else InPlace.Add(seed, gradOutput.AsReadOnlySpan());
        if (tape is null) return;
        tape.Replay(root.Node, retainGraph);
    }

    // Out of line: building these messages inline gave every Backward call a large, zeroed frame.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadBackward(Tensor<T> root, Tensor<T>? gradOutput)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward: the {root.Shape} tensor does not require grad: no input of the ops that produced it requires grad (or they ran under Grad.NoGrad()).");
        if (gradOutput is null && root.Length != 1)
            throw new InvalidOperationException($"Backward: the output has shape {root.Shape}; an implicit gradient exists only for a one-element output. Pass gradOutput of shape {root.Shape}.");
        if (gradOutput is not null && gradOutput.Shape != root.Shape)
            throw new ArgumentException($"Backward: gradOutput has shape {gradOutput.Shape} but the output has shape {root.Shape}.");
        throw new InvalidOperationException("Backward: this graph was recorded on another thread; run Backward on the thread that ran the forward pass.");
    }

    // The seed is the tape's own; every other gradient buffer goes back to the pool.
    private void ReleaseNodeGrad(T[] grad)
    {
        if (!ReferenceEquals(grad, _seed)) Pool.Return(grad);
    }

    private void Replay(int last, bool retainGraph)
    {
        _retaining = retainGraph;
        try
        {
            for (int i = last; i >= 0; i--)
            {
                ref var e = ref _entries[i];
                var output = e.Output;
                var gy = output.NodeGrad;
                if (gy is null || e.Backward is null) continue;   // not reached from the root
                e.Backward(ref e, new ReadOnlySpan<T>(gy, output.NodeGradOffset, output.Length));
                if (Grad.DetectAnomaly) CheckInputGrads(ref e);
                // An intermediate's gradient is consumed once its op ran; give the buffer back right away.
                output.NodeGrad = null;
                ReleaseNodeGrad(gy);
            }
        }
        finally
        {
            _retaining = false;
            if (!retainGraph) Clear();
            else ReleaseIntermediateGrads(last);
        }
    }

    // After an interrupted (or retained) replay, intermediates must not carry stale gradients into the next one.
    private void ReleaseIntermediateGrads(int last)
    {
        for (int i = 0; i <= last && i < _count; i++)
        {
            var output = _entries[i].Output;
            if (output?.NodeGrad is not { } g) continue;
            output.NodeGrad = null;
            ReleaseNodeGrad(g);
        }
    }

    /// <summary>Forgets every recorded op: tensors they produced can no longer be back-propagated through.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref _entries[i];
            if (e.Output.NodeGrad is { } g) { e.Output.NodeGrad = null; ReleaseNodeGrad(g); }
            if (e.SavedBuffer is { } saved) Pool.Return(saved);
            e = default;   // Record relies on entries past the count being default
        }
        _count = 0;
        _generation++;
    }

    private static void CheckInputGrads(ref TapeEntry<T> e)
    {
        CheckGradOf(e.A, ref e, "first");
        CheckGradOf(e.B, ref e, "second");
        CheckGradOf(e.C, ref e, "third");
    }

    private static void CheckGradOf(Tensor<T>? x, ref TapeEntry<T> e, string which)
    {
        if (x is null) return;
        ReadOnlySpan<T> g = default;
        if (x.IsLeaf) { if (x.Grad is { } leafGrad) g = leafGrad.AsReadOnlySpan(); }
        else if (x.NodeGrad is { } node) g = new ReadOnlySpan<T>(node, x.NodeGradOffset, x.Length);
        CheckFinite(g, e.Op, $"backward gradient of its {which} input", e.Site);
    }

    private static void CheckFinite(ReadOnlySpan<T> values, string op, string what, string? site)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (T.IsFinite(values[i])) continue;
            throw new AnomalyException(
                $"Anomaly: {op} produced {values[i]} in its {what} at flat index {i} of {values.Length}." +
                (site is null ? "" : $"\nThe op was recorded at:\n{site}"));
        }
    }
}
