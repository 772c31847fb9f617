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

        // The pooled storage of the tensor at each position in the scope's previous use, held for the tensor at the
        // same position in its next use (a training step makes the same tensors in the same order): taking it back is a
        // length compare, where the thread's pool needs a look-up to rent and another to return. What a use does not
        // take back goes to the pool when that use ends, so at most one use's storage is held here.
        private struct Spare { public T[]? Array; public int Offset; }
        private Spare[] _spares = new Spare[16];
        private int _spareCount;   // no spare is held at this position or above

        // Storage for the tensor about to take the next position: the spare held there, or one from the pool.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public T[] Rent(int length, TensorPool<T>.FreeLists pool, out int offset)
        {
            var spares = _spares;
            int i = _count;
            if ((uint)i < (uint)spares.Length && spares[i].Array is { } array && array.Length == length + AlignedStorage.Padding<T>())
            {
                spares[i].Array = null;
                offset = spares[i].Offset;
                return array;
            }
            return pool.Rent(length, out offset);
        }

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

        // Disposes every tensor; their pooled storage stays here as the next use's spares.
        public void DisposeAll(TensorPool<T>.FreeLists pool)
        {
            int count = _count;
            if (count == 0 && _spareCount == 0) return;
            if (_spares.Length < count) Array.Resize(ref _spares, _items.Length);
            var items = _items;
            var spares = _spares;
            // Cleared in the same pass (a null store needs no write barrier; Array.Clear is a call for a handful of slots).
            for (int i = 0; i < count && i < items.Length && i < spares.Length; i++)
            {
                ref var spare = ref spares[i];
                if (spare.Array is { } untaken) pool.Return(untaken);
                spare.Array = items[i].ReleaseStorage(out spare.Offset);
                items[i] = null!;
            }
            for (int i = count; i < _spareCount && i < spares.Length; i++)
            {
                if (spares[i].Array is { } untaken) pool.Return(untaken);
                spares[i].Array = null;
            }
            _spareCount = count;
            _count = 0;
        }

        /// <summary>Forgets the spares (they are not returned to the pool: this is for a pool that drops its idle arrays).</summary>
        public void DropSpares()
        {
            Array.Clear(_spares);
            _spareCount = 0;
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

    /// <summary>Storage for a <typeparamref name="T"/> tensor about to be added to this scope (the caller adds it next).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T[] Rent<T>(int length, out int offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<T[]>(_floats.Rent(length, _floatPool, out offset));
        if (typeof(T) == typeof(double)) return Unsafe.As<T[]>(_doubles.Rent(length, _doublePool, out offset));
        return TensorPool<T>.Rent(length, out offset);
    }

    /// <summary>Makes every scope object of this thread forget the storage it holds for its next use (see <see cref="TensorPool{T}.Trim"/>).</summary>
    internal static void DropSpares()
    {
        for (var scope = _outermost; scope is not null; scope = scope._inner)
        {
            scope._floats.DropSpares();
            scope._doubles.DropSpares();
        }
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
