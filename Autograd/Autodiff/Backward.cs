using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Recording: what every op calls after its forward.</summary>
internal static class Autodiff<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True if an op with these inputs must be recorded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ShouldRecord(Tensor<T> a, Tensor<T>? b = null, Tensor<T>? c = null) =>
        Grad.IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>
    /// Records the op that produced <paramref name="output"/>: returns its node (a <typeparamref name="TNode"/>, for the
    /// caller to store what the derivative needs) with the op's inputs in argument order. Call only when
    /// <see cref="ShouldRecord"/> is true. Inside a <see cref="TensorScope"/> the node object of the same op in the
    /// scope's previous use is reused (a training step records the same ops every time), so a steady-state step
    /// allocates no nodes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the op, where TNode is exact: no generic-dictionary look-ups
    public static TNode Record<TNode>(string op, Tensor<T> output, Tensor<T> a, Tensor<T>? b = null, Tensor<T>? c = null)
        where TNode : Node<T>, new()
    {
        var node = NewNode<TNode>(output);
        node.Inputs[0] = a;
        int count = 1;
        // Only non-null inputs are stored: each reference store is a write barrier (nulls need none).
        if (b is not null) { node.Inputs[1] = b; count = 2; } else node.Inputs[1] = null;
        if (c is not null) { node.Inputs[count] = c; count++; }
        if (count < 3) node.Inputs[2] = null;
        node.ManyInputs = null;
        node.InputCount = count;
        Attach(op, output, node);
        return node;
    }

    /// <summary>Like <see cref="Record{TNode}(string, Tensor{T}, Tensor{T}, Tensor{T}?, Tensor{T}?)"/> for any number of inputs (the array is kept).</summary>
    public static TNode Record<TNode>(string op, Tensor<T> output, Tensor<T>[] inputs) where TNode : Node<T>, new()
    {
        var node = NewNode<TNode>(output);
        node.Inputs = default;
        node.ManyInputs = inputs;
        node.InputCount = inputs.Length;
        Attach(op, output, node);
        return node;
    }

    /// <summary>Records <paramref name="node"/> (created by the caller, never reused) as the op that produced <paramref name="output"/>.</summary>
    public static void Record(string op, Tensor<T> output, Node<T> node, Tensor<T>[] inputs)
    {
        node.ManyInputs = inputs;
        node.InputCount = inputs.Length;
        Attach(op, output, node);
    }

    // A result whose storage a scope owns ends with the scope, and so may its node; any other result keeps its own.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TNode NewNode<TNode>(Tensor<T> output) where TNode : Node<T>, new() =>
        output.IsScoped && TensorScope.Current is { } scope ? scope.ReuseNode<TNode>() : Unscoped<TNode>();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TNode Unscoped<TNode>() where TNode : Node<T>, new() => new();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Attach(string op, Tensor<T> output, Node<T> node)
    {
        node.Name = op;
        node.Output = output;
        node.Freed = false;
        node.Site = null;
        output.SetGradFn(node);
        if (Grad.DetectAnomaly) CheckRecorded(node);
    }

    // Anomaly mode only, so out of line: a StackTrace inlined into every op enlarged their frames.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckRecorded(Node<T> node)
    {
        node.Site = RecordingSite.Capture();
        Anomaly.CheckFinite(node.Output.AsReadOnlySpan(), node.Name, "forward output", node.Site);
    }

    /// <summary>Checks an op result in anomaly mode even when nothing is recorded (no-grad inference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckForward(string op, Tensor<T> output)
    {
        if (Grad.DetectAnomaly) CheckUnrecorded(op, output);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckUnrecorded(string op, Tensor<T> output) =>
        Anomaly.CheckFinite(output.AsReadOnlySpan(), op, "forward output", RecordingSite.Capture());
}

internal static class Anomaly
{
    public static void CheckFinite<T>(ReadOnlySpan<T> values, string op, string what, string? site) where T : unmanaged, IFloatingPointIeee754<T>
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

/// <summary>
/// One backward pass: sorts the nodes a set of roots reaches (depth-first post-order), then runs them from the roots
/// towards the leaves, each once its output gradient is complete. A pass either accumulates into the leaves'
/// <see cref="Tensor{T}.Grad"/> (Backward) or returns the gradients of chosen inputs (<see cref="Autograd.Grad"/>).
/// In a first-order pass gradients are pooled buffers and hot ops run their fused span kernels; when the gradient
/// must itself be differentiable (createGraph) every node runs its rule with recording on, so gradients are tensors
/// with graphs of their own. Each thread reuses one pass object; a pass started inside a rule gets a new one.
/// </summary>
internal sealed class BackwardPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Epochs are unique over all passes of all threads (a node records the epoch of the pass visiting it). Each pass
    // object reserves a block of them at a time, so that a pass costs no interlocked operation.
    private const long EpochBlock = 1 << 16;
    private static long _lastEpoch;

    // Node references are kept in struct slots: storing into a Node<T>[] (a class that is not sealed) goes through
    // the runtime's covariant-store check on every push, a struct field store does not.
    private struct Slot { public Node<T> Node; public int NextInput; }

    private readonly T[] _seed = new T[1];   // the gradient of a scalar root
    private Slot[] _order = new Slot[64];
    private int _count;
    private Slot[] _stack = new Slot[64];

    private long _epoch, _epochBlockEnd;
    private Node<T>? _running;            // the node whose rule or fused kernel is running
    private bool _createGraph, _retain;
    private Tensor<T>[]? _targets;        // the inputs whose gradients a functional pass returns (null: accumulate into leaves)
    private Tensor<T>?[]? _results;

    /// <summary>The thread's buffer pool (gradients are rented from and returned to the pool of the thread running the pass).</summary>
    internal TensorPool<T>.FreeLists Pool = null!;

    /// <summary>True while the pass records the gradients it computes (createGraph).</summary>
    public bool CreatesGraph => _createGraph;

    /// <summary>True while the graph is kept for another pass (a fused rule must not consume saved state).</summary>
    public bool RetainsGraph => _retain;

    // The thread's idle pass (kept beside its pool: a thread static of this generic class would cost a helper call
    // per Backward), or a new one when a pass is already running on this thread (a rule that takes a gradient).
    private static BackwardPass<T> Rent()
    {
        var pool = TensorPool<T>.ThreadPool;
        var pass = pool.IdlePass as BackwardPass<T> ?? new BackwardPass<T>();
        pool.IdlePass = null;
        if (!ReferenceEquals(pass.Pool, pool)) pass.Pool = pool;   // the same pool every time but the first: no store
        return pass;
    }

    private void ReturnToThread()
    {
        _targets = null; _results = null;
        Pool.IdlePass = this;
    }

    // ---------------------------------------------------------------- entry points

    /// <summary>Tensor.Backward: accumulates d(root)/d(leaf) into every leaf that requires grad.</summary>
    public static void Run(Tensor<T> root, Tensor<T>? gradOutput, bool retainGraph, bool createGraph)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.IsDisposed) ThrowDisposedRoot(root, "Backward");
        if (!root.RequiresGrad || (gradOutput is null ? root.Length != 1 : gradOutput.Shape != root.Shape))
            ThrowBadBackward(root, gradOutput);
        var pass = Rent();
        try { pass.Execute(new RootList(root, gradOutput), retainGraph || createGraph, createGraph); }
        finally { pass.ReturnToThread(); }
    }

    /// <summary>Autograd.Grad: the gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>.</summary>
    public static Tensor<T>?[] Gradients(Tensor<T>[] outputs, Tensor<T>[] inputs, Tensor<T>?[]? gradOutputs, bool retainGraph, bool createGraph, bool allowUnused)
    {
        ArgumentNullException.ThrowIfNull(outputs); ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Length == 0) throw new ArgumentException("Grad: no outputs given.", nameof(outputs));
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"Grad: {gradOutputs.Length} gradOutputs for {outputs.Length} outputs; give one per output (null for a one-element output).", nameof(gradOutputs));
        for (int i = 0; i < outputs.Length; i++)
        {
            var y = outputs[i] ?? throw new ArgumentNullException(nameof(outputs), $"Grad: output {i} is null.");
            if (y.IsDisposed) ThrowDisposedRoot(y, "Grad");
            if (!y.RequiresGrad)
                throw new ArgumentException($"Grad: output {i} (shape {y.Shape}) does not require grad: nothing that produced it requires grad (or it ran under Grad.NoGrad()).", nameof(outputs));
            var g = gradOutputs?[i];
            if (g is null && y.Length != 1)
                throw new ArgumentException($"Grad: output {i} has shape {y.Shape}; an implicit gradient exists only for a one-element output. Pass gradOutputs[{i}] of shape {y.Shape}.", nameof(gradOutputs));
            if (g is not null && g.Shape != y.Shape)
                throw new ArgumentException($"Grad: gradOutputs[{i}] has shape {g.Shape} but output {i} has shape {y.Shape}.", nameof(gradOutputs));
        }
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Grad: input {i} is null.");
            if (!x.RequiresGrad)
                throw new ArgumentException($"Grad: input {i} (shape {x.Shape}) does not require grad; set RequiresGrad = true on it before the forward pass.", nameof(inputs));
        }
        var pass = Rent();
        try
        {
            pass._targets = inputs;
            pass._results = new Tensor<T>?[inputs.Length];
            pass.Execute(new RootList(outputs, gradOutputs), retainGraph || createGraph, createGraph);
            var results = pass._results;
            for (int i = 0; i < results.Length; i++)
                if (results[i] is null && !allowUnused)
                    throw new InvalidOperationException($"Grad: input {i} (shape {inputs[i].Shape}) is not used to compute the outputs, so it has no gradient; pass allowUnused: true to get null for it.");
            return results;
        }
        finally { pass.ReturnToThread(); }
    }

    // A disposed root's nodes may already serve the next use of its scope: its graph is gone.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposedRoot(Tensor<T> root, string op) =>
        throw new ObjectDisposedException($"Tensor{root.Shape}",
            $"{op}: this tensor was disposed, e.g. when its TensorScope ended, and its graph with it; back-propagate inside the scope.");

    // Out of line: building these messages inline gave every Backward call a large, zeroed frame.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadBackward(Tensor<T> root, Tensor<T>? gradOutput)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward: the {root.Shape} tensor does not require grad: no input of the ops that produced it requires grad (or they ran under Grad.NoGrad()).");
        if (gradOutput is null)
            throw new InvalidOperationException($"Backward: the output has shape {root.Shape}; an implicit gradient exists only for a one-element output. Pass gradOutput of shape {root.Shape}.");
        throw new ArgumentException($"Backward: gradOutput has shape {gradOutput.Shape} but the output has shape {root.Shape}.");
    }

    // ---------------------------------------------------------------- the pass

    // The roots of a pass and their gradients: one (Backward, without an array) or several (Grad).
    private readonly struct RootList
    {
        private readonly Tensor<T>? _single, _singleGrad;
        private readonly Tensor<T>[]? _many;
        private readonly Tensor<T>?[]? _manyGrads;

        public RootList(Tensor<T> root, Tensor<T>? grad) { _single = root; _singleGrad = grad; }
        public RootList(Tensor<T>[] roots, Tensor<T>?[]? grads) { _many = roots; _manyGrads = grads; }

        public int Count => _many?.Length ?? 1;
        public Tensor<T> this[int i] => _many is { } m ? m[i] : _single!;
        public Tensor<T>? GradOf(int i) => _many is not null ? _manyGrads?[i] : _singleGrad;
    }

    private void Execute(RootList roots, bool retain, bool createGraph)
    {
        if (_epoch == _epochBlockEnd) ReserveEpochs();
        _epoch++;
        _createGraph = createGraph;
        _retain = retain;
        _count = 0;
        try
        {
            for (int i = 0; i < roots.Count; i++)
                if (roots[i].GradFn is { } node && node.Visit != _epoch) Sort(node);
            for (int i = 0; i < roots.Count; i++) Seed(roots[i], roots.GradOf(i), soleRoot: roots.Count == 1);
            using (createGraph ? Grad.Enable() : Grad.NoGrad())
                for (int i = _count - 1; i >= 0; i--) RunNode(_order[i].Node);
        }
        finally
        {
            // Also after an exception: no node may carry a gradient into the next pass.
            for (int i = 0; i < _count; i++) { ReleaseGrad(_order[i].Node); _order[i].Node = null!; }
            _count = 0;
            _running = null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReserveEpochs()
    {
        _epochBlockEnd = Interlocked.Add(ref _lastEpoch, EpochBlock);
        _epoch = _epochBlockEnd - EpochBlock;
    }

    // Iterative depth-first post-order from root: every node after all nodes it reads from. A node's Runs is known
    // when it is finished, because all its inputs were finished before it.
    private void Sort(Node<T> root)
    {
        int depth = 0;
        Push(root, ref depth);
        while (depth > 0)
        {
            ref var top = ref _stack[depth - 1];
            var node = top.Node;
            int i = top.NextInput;
            if (i < node.InputCount)
            {
                top.NextInput = i + 1;
                if (node.Input(i).GradFn is { } input)
                {
                    if (input.Visit != _epoch) Push(input, ref depth);
                    input.Consumers++;
                }
                continue;
            }
            depth--;
            top.Node = null!;
            Finish(node);
        }
    }

    private void Push(Node<T> node, ref int depth)
    {
        node.Visit = _epoch;
        node.Runs = false;
        node.Consumers = 0;
        if (depth == _stack.Length) Array.Resize(ref _stack, depth * 2);
        _stack[depth].Node = node;
        _stack[depth].NextInput = 0;
        depth++;
    }

    private void Finish(Node<T> node)
    {
        // Accumulating into the leaves, every recorded node leads to a leaf that requires grad (that is why it was
        // recorded); only a functional pass, which wants chosen inputs, has nodes that need not run.
        bool runs = _targets is null;
        for (int i = 0; i < node.InputCount && !runs; i++) runs = Wants(node.Input(i));
        node.Runs = runs;
        if (runs)
        {
            if (node.Freed) ThrowFreed(node);
            if (_createGraph && !node.SupportsHigherOrder)
                throw new NotSupportedException($"Backward: {node.Name} has no second-order rule, so its gradient cannot be recorded (createGraph: true). Differentiate it once only.");
        }
        if (_count == _order.Length) Array.Resize(ref _order, _count * 2);
        _order[_count++].Node = node;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFreed(Node<T> node) =>
        throw new GraphFreedException(
            $"Backward: the graph through {node.Name} (output {node.Output.Shape}) was already freed by an earlier Backward(). " +
            "Pass retainGraph: true to the first Backward to go through a graph twice.");

    private void Seed(Tensor<T> root, Tensor<T>? gradOutput, bool soleRoot)
    {
        if (_createGraph)
        {
            Add(root, gradOutput ?? Tensor.Full(root.Shape, T.One));
            return;
        }
        if (soleRoot && gradOutput is null && root.GradFn is { } node)
        {
            // The usual root, a scalar loss: its gradient 1 lives in the pass's own seed, not in a pooled buffer
            // (only for a sole root: no other root's backward can add into it).
            _seed[0] = T.One;
            node.GradBuffer = _seed;
            node.GradOffset = 0;
            node.GradBufferPooled = false;
            return;
        }
        if (!TryGrad(root, out var seed, out bool fresh)) return;
        if (gradOutput is null) seed[0] = fresh ? T.One : seed[0] + T.One;
        else if (fresh) gradOutput.AsReadOnlySpan().CopyTo(seed);
        else InPlace.Add(seed, gradOutput.AsReadOnlySpan());
    }

    private void RunNode(Node<T> node)
    {
        bool hasGrad = node.GradBuffer is not null || node.GradTensor is not null;
        if (!hasGrad) return;   // not reached from the roots (or only through inputs nobody wants)
        if (_targets is not null) CaptureIfTarget(node);
        if (node.Runs)
        {
            _running = node;
            if (!_createGraph && node.HasFused && node.GradBuffer is { } buffer)
                node.Fused(new ReadOnlySpan<T>(buffer, node.GradOffset, node.Output.Length), this);
            else
                node.Rule(GradAsTensor(node), this);
            if (Grad.DetectAnomaly) CheckInputGrads(node);
            if (!_retain) { node.Freed = true; node.ReleaseSaved(); }
            _running = null;
        }
        ReleaseGrad(node);
    }

    private Tensor<T> GradAsTensor(Node<T> node) =>
        node.GradTensor ?? new Tensor<T>(node.Output.Shape, node.GradBuffer!, node.GradOffset, null, pooled: false);

    private void ReleaseGrad(Node<T> node)
    {
        if (node.GradBuffer is { } buffer)
        {
            node.GradBuffer = null;
            if (node.GradBufferPooled) Pool.Return(buffer);
        }
        node.GradTensor = null;
    }

    // ---------------------------------------------------------------- what rules and fused kernels call

    /// <summary>True if the gradient of <paramref name="x"/> (an input of the running node) is needed.</summary>
    public bool Wants(Tensor<T>? x)
    {
        if (x is null || !x.RequiresGrad) return false;
        var node = x.GradFn;
        if (node is null) return _targets is null || IndexOfTarget(x) >= 0;
        return node.Visit == _epoch && (node.Runs || (_targets is not null && IndexOfTarget(x) >= 0));
    }

    private int IndexOfTarget(Tensor<T> x)
    {
        var targets = _targets!;
        for (int i = 0; i < targets.Length; i++) if (ReferenceEquals(targets[i], x)) return i;
        return -1;
    }

    /// <summary>
    /// The gradient buffer of <paramref name="x"/> when its gradient is needed; backward adds into it (a fresh
    /// buffer is cleared first).
    /// </summary>
    public bool TryGrad(Tensor<T>? x, out Span<T> grad)
    {
        if (!TryGrad(x, out grad, out bool fresh)) return false;
        if (fresh) grad.Clear();
        return true;
    }

    /// <summary>
    /// The gradient buffer of <paramref name="x"/> when its gradient is needed. When <paramref name="fresh"/> is
    /// true the buffer holds nothing yet (first write of this pass, or after ZeroGrad) and the caller must assign
    /// every element; otherwise it must add. (PyTorch's "first gradient is stolen, later ones are accumulated".)
    /// The caller must finish writing before asking again for the same tensor (an op may take x twice).
    /// </summary>
    public bool TryGrad(Tensor<T>? x, out Span<T> grad, out bool fresh)
    {
        Debug.Assert(!_createGraph, "a recording pass has no gradient buffers");
        if (!Wants(x)) { grad = default; fresh = false; return false; }
        if (x!.GradFn is { } node)
        {
            fresh = node.GradBuffer is null;
            if (fresh)
            {
                node.GradBuffer = Pool.Rent(x.Length, out node.GradOffset);
                node.GradBufferPooled = true;
            }
            grad = new Span<T>(node.GradBuffer, node.GradOffset, x.Length);
            return true;
        }
        if (_targets is not null)
        {
            int slot = IndexOfTarget(x);
            var result = _results![slot];
            fresh = result is null;
            if (fresh) _results[slot] = result = Tensor<T>.Uninitialized(x.Shape);
            grad = result!.AsSpan();
            return true;
        }
        grad = x.LeafGradBuffer(out fresh);
        return true;
    }

    /// <summary>
    /// Like <see cref="TryGrad(Tensor{T}, out Span{T}, out bool)"/>, for the input of an elementwise derivative (an
    /// activation, a scale, a reshape) whose kernel may write its result over the output gradient it reads. When
    /// <paramref name="x"/> is an op result with the running node's output length whose gradient nothing has written
    /// yet, and the running node's output gradient is a buffer of this pass, that buffer becomes x's gradient
    /// (returned fresh: the same memory as the gradOutput span): a step then holds one gradient buffer fewer per such op,
    /// and a reshape copies nothing. A functional Grad, whose targets may be captured, always gets a buffer of its own.
    /// </summary>
    public bool TryGradInPlace(Tensor<T>? x, out Span<T> grad, out bool fresh)
    {
        var running = _running;
        if (running is { GradBufferPooled: true, GradBuffer: { } buffer } && _targets is null && Wants(x) &&
            x!.GradFn is { GradBuffer: null, GradTensor: null } producer && x.Length == running.Output.Length)
        {
            producer.GradBuffer = buffer;
            producer.GradOffset = running.GradOffset;
            producer.GradBufferPooled = true;
            running.GradBuffer = null;   // the producer owns it now: RunNode does not return it to the pool
            running.GradBufferPooled = false;
            grad = new Span<T>(buffer, producer.GradOffset, x.Length);
            fresh = true;
            return true;
        }
        return TryGrad(x, out grad, out fresh);
    }

    /// <summary>
    /// The node that produced <paramref name="x"/> (an input of the running node), when it is a
    /// <typeparamref name="TNode"/> whose output only the running node reads in this pass and whose gradient nothing
    /// has written yet: the running node may then apply that node's derivative too and write straight into the
    /// producer's inputs' gradients (a fused pair, such as max pooling over a ReLU, saves a pass over the activation).
    /// The producer then gets no gradient, so the pass skips it; it counts as gone through (freed unless retained).
    /// Refused when the gradient is recorded, in a functional Grad (x may be a target) and in anomaly mode (which
    /// checks each node's gradients).
    /// </summary>
    internal bool TryBypass<TNode>(Tensor<T> x, [NotNullWhen(true)] out TNode? producer) where TNode : Node<T>
    {
        producer = null;
        if (_createGraph || _targets is not null || Grad.DetectAnomaly) return false;
        if (x.GradFn is not TNode node || node.Visit != _epoch || !node.Runs || node.Consumers != 1 || node.GradBuffer is not null || node.GradTensor is not null)
            return false;
        if (!_retain) { node.Freed = true; node.ReleaseSaved(); }
        producer = node;
        return true;
    }

    /// <summary>
    /// Makes <paramref name="buffer"/> (an array the caller owns: from the pool if <paramref name="pooled"/>) the
    /// gradient of <paramref name="x"/> if x is an op result whose gradient nothing has written yet; the pass then owns
    /// the buffer. Refused (false) while the graph is retained, whose next pass still needs the caller's buffer.
    /// </summary>
    public bool TryAdoptGrad(Tensor<T>? x, T[] buffer, int offset, bool pooled)
    {
        if (_retain || !Wants(x) || x!.GradFn is not { } node || node.GradBuffer is not null) return false;
        if (_targets is not null && IndexOfTarget(x) >= 0) return false;
        node.GradBuffer = buffer;
        node.GradOffset = offset;
        node.GradBufferPooled = pooled;
        return true;
    }

    /// <summary>
    /// Adds <paramref name="grad"/> to the gradient of <paramref name="x"/> if it is needed. A gradient of a broadcast
    /// shape is summed back to x's shape here, once for every op.
    /// </summary>
    public void Add(Tensor<T>? x, Tensor<T> grad)
    {
        if (!Wants(x)) return;
        if (!_createGraph)
        {
            TryGrad(x, out var g, out bool fresh);
            if (grad.Shape == x!.Shape)
            {
                if (fresh) grad.AsReadOnlySpan().CopyTo(g);
                else InPlace.Add(g, grad.AsReadOnlySpan());
            }
            else Broadcast.SumInto(grad.AsReadOnlySpan(), grad.Shape, g, x.Shape, accumulate: !fresh);
            return;
        }
        if (grad.Shape != x!.Shape) grad = grad.SumTo(x.Shape.Dimensions);
        if (x.GradFn is { } node)
        {
            node.GradTensor = node.GradTensor is null ? grad : node.GradTensor.Add(grad);
            return;
        }
        if (_targets is not null)
        {
            int slot = IndexOfTarget(x);
            _results![slot] = _results[slot] is { } sum ? sum.Add(grad) : grad;
            return;
        }
        x.AccumulateRecordedGrad(grad);
    }

    private void CaptureIfTarget(Node<T> node)
    {
        int slot = IndexOfTarget(node.Output);
        if (slot < 0) return;
        if (node.GradTensor is { } g) { _results![slot] = g; return; }
        var copy = Tensor<T>.Uninitialized(node.Output.Shape);
        new ReadOnlySpan<T>(node.GradBuffer, node.GradOffset, copy.Length).CopyTo(copy.AsSpan());
        _results![slot] = copy;
    }

    private static string Ordinal(int i) => i switch { 0 => "first", 1 => "second", 2 => "third", _ => $"{i + 1}th" };

    private void CheckInputGrads(Node<T> node)
    {
        for (int i = 0; i < node.InputCount; i++)
        {
            var x = node.Input(i);
            ReadOnlySpan<T> g = default;
            if (x.GradFn is { } n)
            {
                if (n.GradTensor is { } t) g = t.AsReadOnlySpan();
                else if (n.GradBuffer is { } b) g = new ReadOnlySpan<T>(b, n.GradOffset, x.Length);
            }
            else if (_targets is not null) { int slot = IndexOfTarget(x); if (slot >= 0 && _results![slot] is { } r) g = r.AsReadOnlySpan(); }
            else if (x.RequiresGrad && x.Grad is { } leafGrad) g = leafGrad.AsReadOnlySpan();
            Anomaly.CheckFinite(g, node.Name, $"backward gradient of its {Ordinal(i)} input", node.Site);
        }
    }
}
