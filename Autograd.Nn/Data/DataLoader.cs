namespace Autograd.Nn.Data;

/// <summary>
/// Iterates a <see cref="Dataset{T}"/> in mini-batches. With shuffling, epoch <c>e</c> visits the samples in an order
/// drawn from a generator seeded by (seed, e) alone: the same seed replays the same epochs, and epochs differ.
/// </summary>
/// <remarks>
/// To keep training steps allocation-free, batches are written into buffers owned by the loader (one set for the full
/// batch size, one for a shorter last batch), so <b>a batch is valid only until the next one is produced</b>:
/// finish forward and backward on it first, and copy it (<see cref="Tensor{T}.Clone"/>) to keep it longer.
/// Do not dispose the batch tensors. One enumeration at a time per loader; not thread-safe.
/// </remarks>
public sealed class DataLoader<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _order;
    private readonly BatchBuffers<T> _full;
    private BatchBuffers<T>? _partial;

    /// <summary>The data set iterated.</summary>
    public Dataset<T> Data { get; }

    /// <summary>Samples per batch (the last batch may be shorter unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a fresh seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed every epoch's order derives from.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a last batch shorter than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

    /// <summary>Creates a loader over <paramref name="data"/>.</summary>
    public DataLoader(Dataset<T> data, int batchSize, bool shuffle = true, ulong seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size {batchSize} must be positive.");
        Data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        _order = new int[data.Count];
        _full = new BatchBuffers<T>(Math.Min(batchSize, Math.Max(1, data.Count)), data.FeatureCount);
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> (0, 1, …), for <c>foreach (var (x, labels) in loader.Epoch(e))</c>.
    /// <paramref name="firstBatch"/> skips that many batches: a run resumed from a checkpoint taken inside an epoch sees
    /// exactly the batches the interrupted run had still to see (the order depends only on the seed and the epoch).
    /// </summary>
    public EpochBatches Epoch(int epoch, int firstBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), $"DataLoader.Epoch: first batch {firstBatch} is outside [0, {BatchesPerEpoch}] (batches per epoch).");
        return new EpochBatches(this, epoch, firstBatch);
    }

    /// <summary>The sample order of epoch <paramref name="epoch"/> (a fresh array; the identity without shuffling).</summary>
    public int[] EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = new int[Data.Count];
        FillOrder(order, epoch);
        return order;
    }

    /// <summary>The generator seed of epoch <paramref name="epoch"/>: a bijective mix, so nearby seeds and epochs give unrelated streams.</summary>
    public static ulong EpochSeed(ulong seed, int epoch)
    {
        ulong z = seed + (ulong)(epoch + 1) * 0xD1B54A32D192ED03UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private void FillOrder(int[] order, int epoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Shuffle) new Rng(EpochSeed(Seed, epoch)).Shuffle(order.AsSpan());
    }

    private BatchBuffers<T> BuffersFor(int count)
    {
        if (count == _full.Size) return _full;
        if (_partial is null || _partial.Size != count) _partial = new BatchBuffers<T>(count, Data.FeatureCount);
        return _partial;
    }

    /// <summary>The batches of one epoch; a struct so that <c>foreach</c> allocates nothing.</summary>
    public readonly struct EpochBatches
    {
        private readonly DataLoader<T> _loader;
        private readonly int _epoch, _firstBatch;

        internal EpochBatches(DataLoader<T> loader, int epoch, int firstBatch) { _loader = loader; _epoch = epoch; _firstBatch = firstBatch; }

        /// <summary>Starts the epoch: computes its order (overwriting that of any enumeration still running).</summary>
        public Enumerator GetEnumerator()
        {
            _loader.FillOrder(_loader._order, _epoch);
            return new Enumerator(_loader, _firstBatch);
        }
    }

    /// <summary>Walks one epoch, filling the loader's buffers batch by batch.</summary>
    public struct Enumerator
    {
        private readonly DataLoader<T> _loader;
        private int _next, _index;

        internal Enumerator(DataLoader<T> loader, int firstBatch)
        {
            _loader = loader;
            _next = firstBatch * loader.BatchSize;
            _index = firstBatch - 1;
            Current = default;
        }

        /// <summary>The batch just produced.</summary>
        public Batch<T> Current { get; private set; }

        /// <summary>Produces the next batch; false at the end of the epoch.</summary>
        public bool MoveNext()
        {
            var loader = _loader;
            var data = loader.Data;
            int count = Math.Min(loader.BatchSize, data.Count - _next);
            if (count <= 0 || (loader.DropLast && count < loader.BatchSize)) return false;
            var buffers = loader.BuffersFor(count);
            int d = data.FeatureCount;
            var x = buffers.X.AsSpan();
            for (int i = 0; i < count; i++)
            {
                int sample = loader._order[_next + i];
                data.Features.AsSpan(sample * d, d).CopyTo(x.Slice(i * d, d));
                buffers.Labels[i] = data.Labels[sample];
            }
            buffers.OneHotClasses = 0;   // stale: rebuilt on request
            _next += count;
            Current = new Batch<T>(buffers, ++_index);
            return true;
        }
    }
}

/// <summary>Per-batch-size storage reused from batch to batch.</summary>
internal sealed class BatchBuffers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly int Size;
    public readonly int[] Labels;
    public readonly Tensor<T> X;
    public T[]? OneHot;
    public Tensor<T>? Targets;
    public int OneHotClasses;   // classes the one-hot buffer currently encodes; 0 = stale for this batch

    public BatchBuffers(int size, int featureCount)
    {
        Size = size;
        Labels = new int[size];
        // Aligned like the parameters: the first layer's GEMM reads every row of X against every weight row.
        X = Tensor.ZerosAligned<T>(size, featureCount);
    }
}

/// <summary>
/// One mini-batch: features <see cref="X"/> [B, D] and <see cref="Labels"/> (B). Lives in the loader's reused buffers:
/// valid until the loader produces the next batch.
/// </summary>
public readonly struct Batch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BatchBuffers<T> _buffers;

    internal Batch(BatchBuffers<T> buffers, int index) { _buffers = buffers; Index = index; }

    /// <summary>Position of this batch within its epoch (0, 1, …).</summary>
    public int Index { get; }

    /// <summary>Samples in this batch.</summary>
    public int Count => _buffers.Size;

    /// <summary>The features, [Count, D].</summary>
    public Tensor<T> X => _buffers.X;

    /// <summary>The class labels, one per row of <see cref="X"/>.</summary>
    public int[] Labels => _buffers.Labels;

    /// <summary>The labels one-hot encoded as a [Count, <paramref name="classes"/>] tensor (for MSE-style losses), built once per batch.</summary>
    public Tensor<T> OneHot(int classes)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"Batch.OneHot: class count {classes} must be positive.");
        var b = _buffers;
        if (b.OneHotClasses == classes) return b.Targets!;
        if (b.Targets is null || b.Targets.Shape[1] != classes)
        {
            b.OneHot = new T[checked(b.Size * classes)];
            b.Targets = new Tensor<T>(b.OneHot, new Shape(b.Size, classes));
        }
        Dataset<T>.OneHotInto(b.Labels, classes, b.OneHot);
        b.OneHotClasses = classes;
        return b.Targets;
    }

    /// <summary>Lets <c>foreach (var (x, labels) in loader.Epoch(e))</c> take the batch apart.</summary>
    public void Deconstruct(out Tensor<T> x, out int[] labels)
    {
        x = X;
        labels = Labels;
    }
}
