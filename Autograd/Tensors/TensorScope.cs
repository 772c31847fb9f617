using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// A region (typically one training step) whose tensors are disposed when it ends: every tensor created inside it, by
/// an op or by a factory of <see cref="Tensor"/>, takes its storage from a per-thread pool and gives it back at
/// <see cref="Dispose"/>, so a steady-state step reuses the previous step's buffers instead of allocating.
/// Tensors that must outlive the scope are passed to <see cref="Keep{T}"/>; a tensor over the caller's own array
/// (<see cref="Tensor{T}(T[], Shape, bool)"/>) never belongs to a scope. Scopes nest; they are per thread.
/// </summary>
/// <example><code>
/// using (TensorScope.Begin()) { var loss = model.Forward(x).CrossEntropyLoss(y); loss.Backward(); opt.Step(); }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _outermost;   // reused from step to step, like each scope's _inner
    [ThreadStatic] private static TensorScope? _current;     // the innermost open scope of this thread

    private readonly TensorScope? _outer;
    private readonly int _depth;

    // The thread's buffer pools, read once when the scope object is made (a scope object serves one thread only, step
    // after step): an op result inside the scope rents through them without a thread-static look-up per op.
    private readonly TensorPool<float>.FreeLists _floatPool = TensorPool<float>.ThreadPool;
    private readonly TensorPool<double>.FreeLists _doublePool = TensorPool<double>.ThreadPool;
    private TensorScope? _inner;
    private bool _open;

    // float and double tensors in arrays of their exact (sealed) type: storing and disposing them needs no
    // covariance check and no interface call, which a List<IDisposable> costs on every op of a step.
    private readonly Bucket<float> _floats = new();
    private readonly Bucket<double> _doubles = new();
    private readonly List<IDisposable> _others = new();
    private IScopeResource?[] _resources = new IScopeResource?[4];   // an array, not a List: no version checks or Array.Clear call per step
    private int _resourceCount;

    // The nodes of the ops recorded in this scope, in recording order, kept for the next use of this scope object:
    // the op at position i of the next step reuses node i when it is of the same type (see ReuseNode).
    private object[] _nodes = new object[16];
    private int _nodeCount, _nodeCursor;

    // Instantiated over a value type, so its code is specialized and Tensor<T>[] is an exact array type (a bucket
    // generic over the tensor class would run shared code with the covariant-store check again).
    private sealed class Bucket<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private Tensor<T>[] _items = new Tensor<T>[16];
        private int _count;

        public void Add(Tensor<T> tensor)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _count * 2);
            _items[_count++] = tensor;
        }

        public void Remove(Tensor<T> tensor)
        {
            int i = Array.IndexOf(_items, tensor, 0, _count);
            if (i < 0) return;
            Array.Copy(_items, i + 1, _items, i, _count - i - 1);
            _items[--_count] = null!;
        }

        public void DisposeAll(TensorPool<T>.FreeLists pool)
        {
            if (_count == 0) return;
            var items = _items;
            // Cleared in the same pass (a null store needs no write barrier; Array.Clear is a call for a handful of slots).
            for (int i = 0; i < _count && i < items.Length; i++) { items[i].DisposeInto(pool); items[i] = null!; }
            _count = 0;
        }
    }

    private TensorScope(TensorScope? outer)
    {
        _outer = outer;
        _depth = outer is null ? 0 : outer._depth + 1;
    }

    /// <summary>Starts a scope on this thread (scope objects are reused, so this does not allocate in steady state).</summary>
    public static TensorScope Begin()
    {
        var outer = _current;
        var scope = outer is null ? _outermost ??= new TensorScope(null) : outer._inner ??= new TensorScope(outer);
        scope._open = true;
        scope._nodeCursor = 0;
        return _current = scope;
    }

    /// <summary>The innermost open scope of this thread, or null.</summary>
    internal static TensorScope? Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _current;
    }

    /// <summary>The buffer pool of this scope's thread (the calling thread: scopes are per thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TensorPool<T>.FreeLists PoolOf<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<TensorPool<T>.FreeLists>(_floatPool);
        if (typeof(T) == typeof(double)) return Unsafe.As<TensorPool<T>.FreeLists>(_doublePool);
        return TensorPool<T>.ThreadPool;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Register<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T> => _current?.Add(tensor);

    /// <summary>Makes this scope dispose <paramref name="tensor"/> when it ends.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Add<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) _floats.Add(Unsafe.As<Tensor<float>>(tensor));
        else if (typeof(T) == typeof(double)) _doubles.Add(Unsafe.As<Tensor<double>>(tensor));
        else _others.Add(tensor);
    }

    /// <summary>
    /// A node for the next op recorded in this scope: the node the op at the same position recorded in this scope's
    /// previous use, if it has the same type (its fields are the caller's to overwrite), else a new one. The previous
    /// use's tensors were disposed with it, so nothing can reach its nodes any more (a kept tensor leaves its graph
    /// behind, and Backward refuses a disposed root).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TNode ReuseNode<TNode>() where TNode : class, new()
    {
        int i = _nodeCursor++;
        if (i < _nodeCount && _nodes[i] is TNode cached) return cached;
        return NewNodeAt<TNode>(i);
    }

    // The first use of a scope, or a step that records other ops than the last: out of line, off the hot path.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TNode NewNodeAt<TNode>(int i) where TNode : class, new()
    {
        var node = new TNode();
        if (i == _nodes.Length) Array.Resize(ref _nodes, i * 2);
        _nodes[i] = node;
        if (i >= _nodeCount) _nodeCount = i + 1;
        return node;
    }

    /// <summary>Makes this scope release <paramref name="resource"/> when it ends (a node's pooled saved state).</summary>
    internal void AddResource(IScopeResource resource)
    {
        if (_resourceCount == _resources.Length) Array.Resize(ref _resources, _resourceCount * 2);
        _resources[_resourceCount++] = resource;
    }

    /// <summary>
    /// Takes <paramref name="tensor"/> (and the tensor it views, if any) out of this scope so it survives it; returns it.
    /// The values survive, the graph does not: a kept op result becomes a leaf that does not require grad (a kept
    /// leaf, such as a factory's tensor made with requiresGrad, keeps its RequiresGrad).
    /// </summary>
    public Tensor<T> Keep<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tensor.LeaveGraph();   // its node belongs to the scope and serves the scope's next use
        Forget(tensor);
        if (tensor.Base is { } b) Forget(b);
        return tensor;
    }

    private void Forget<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) _floats.Remove(Unsafe.As<Tensor<float>>(tensor));
        else if (typeof(T) == typeof(double)) _doubles.Remove(Unsafe.As<Tensor<double>>(tensor));
        else _others.Remove(tensor);
    }

    /// <summary>Disposes every tensor created in the scope and not kept, returning pooled storage.</summary>
    public void Dispose()
    {
        if (!_open) return;
        if (_current != this)
            throw new InvalidOperationException($"TensorScope: scopes must end in the reverse order they began (ending depth {_depth} while {(_current is null ? "this thread has none" : $"depth {_current._depth}")} is open).");
        for (int i = 0; i < _resourceCount; i++)
        {
            _resources[i]!.EndOfScope();
            _resources[i] = null;
        }
        _resourceCount = 0;
        _floats.DisposeAll(_floatPool);
        _doubles.DisposeAll(_doublePool);
        if (_others.Count > 0)
        {
            foreach (var t in _others) t.Dispose();
            _others.Clear();
        }
        _open = false;
        _current = _outer;
    }
}

/// <summary>Something a <see cref="TensorScope"/> releases when it ends, besides its tensors.</summary>
internal interface IScopeResource
{
    /// <summary>Gives pooled buffers back; called once, on the scope's thread.</summary>
    void EndOfScope();
}
