using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class DataLoaderTests
{
    /// <summary>The sample ids of each batch of one epoch, read from the batch tensors.</summary>
    private static List<int[]> EpochIds(DataLoader<double> loader, int epoch)
    {
        int d = loader.Data.FeatureCount;
        var batches = new List<int[]>();
        foreach (var (x, labels) in loader.Epoch(epoch))
        {
            Assert.That(x.Shape, Is.EqualTo(new Shape(labels.Length, d)));
            var ids = new int[labels.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = DatasetTests.SampleId(x.AsReadOnlySpan().Slice(i * d, d), d);
                Assert.That(labels[i], Is.EqualTo(loader.Data.Labels[ids[i]]), "label matches its row");
            }
            batches.Add(ids);
        }
        return batches;
    }

    [Test]
    public void EverySampleExactlyOncePerEpochWithAPartialLastBatch()
    {
        var loader = new DataLoader<double>(DatasetTests.Numbered(23), batchSize: 5, seed: 9);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(5));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = EpochIds(loader, epoch);
            Assert.That(batches.Select(b => b.Length), Is.EqualTo(new[] { 5, 5, 5, 5, 3 }));
            Assert.That(batches.SelectMany(b => b), Is.EquivalentTo(Enumerable.Range(0, 23)));
            Assert.That(batches.SelectMany(b => b), Is.EqualTo(loader.EpochOrder(epoch)));
        }
    }

    [Test]
    public void DropLastSkipsTheShortBatch()
    {
        var loader = new DataLoader<double>(DatasetTests.Numbered(23), batchSize: 5, seed: 9, dropLast: true);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(4));
        var batches = EpochIds(loader, 0);
        Assert.That(batches.Select(b => b.Length), Is.EqualTo(new[] { 5, 5, 5, 5 }));
        var seen = batches.SelectMany(b => b).ToArray();
        Assert.That(seen, Is.Unique);
        Assert.That(seen, Is.EqualTo(loader.EpochOrder(0)[..20]), "the dropped samples are the last three of the order");
    }

    [Test]
    public void ExactMultipleHasNoPartialBatchEitherWay()
    {
        foreach (bool dropLast in new[] { false, true })
        {
            var loader = new DataLoader<double>(DatasetTests.Numbered(12), batchSize: 4, dropLast: dropLast);
            Assert.That(EpochIds(loader, 0).Select(b => b.Length), Is.EqualTo(new[] { 4, 4, 4 }));
        }
    }

    [Test]
    public void ShufflingIsReproducibleAndDiffersBetweenEpochsAndSeeds()
    {
        var data = DatasetTests.Numbered(40);
        var a = new DataLoader<double>(data, 8, seed: 1);
        var b = new DataLoader<double>(data, 8, seed: 1);
        var c = new DataLoader<double>(data, 8, seed: 2);
        var a0 = EpochIds(a, 0).SelectMany(x => x).ToArray();
        var a1 = EpochIds(a, 1).SelectMany(x => x).ToArray();
        Assert.That(EpochIds(b, 0).SelectMany(x => x), Is.EqualTo(a0), "same seed, same epoch");
        Assert.That(EpochIds(a, 0).SelectMany(x => x), Is.EqualTo(a0), "replaying an epoch");
        Assert.That(a1, Is.Not.EqualTo(a0), "epochs differ");
        Assert.That(EpochIds(c, 0).SelectMany(x => x), Is.Not.EqualTo(a0), "seeds differ");
        Assert.That(a0, Is.Not.EqualTo(Enumerable.Range(0, 40)), "shuffled");
        Assert.That(DataLoader<double>.EpochSeed(1, 0), Is.Not.EqualTo(DataLoader<double>.EpochSeed(0, 1)));
    }

    [Test]
    public void WithoutShuffleTheOrderIsTheDataOrder()
    {
        var loader = new DataLoader<double>(DatasetTests.Numbered(10), 4, shuffle: false);
        Assert.That(EpochIds(loader, 3).SelectMany(x => x), Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void BatchTensorsAreReusedPerBatchSize()
    {
        var loader = new DataLoader<double>(DatasetTests.Numbered(11), batchSize: 4, seed: 3);
        var tensors = new List<Tensor<double>>();
        var labelArrays = new List<int[]>();
        foreach (var batch in loader.Epoch(0)) { tensors.Add(batch.X); labelArrays.Add(batch.Labels); }
        foreach (var batch in loader.Epoch(1)) { tensors.Add(batch.X); labelArrays.Add(batch.Labels); }
        Assert.That(tensors, Has.Count.EqualTo(6));
        Assert.That(tensors[1], Is.SameAs(tensors[0]));
        Assert.That(tensors[3], Is.SameAs(tensors[0]), "full batches share one buffer across epochs");
        Assert.That(tensors[5], Is.SameAs(tensors[2]), "the partial batch has its own, reused too");
        Assert.That(tensors[2], Is.Not.SameAs(tensors[0]));
        Assert.That(tensors[2].Shape, Is.EqualTo(new Shape(3, 3)));
        Assert.That(labelArrays[4], Is.SameAs(labelArrays[0]));
        Assert.That(tensors[0].RequiresGrad, Is.False);
    }

    [Test]
    public void AnEpochCanStartAtALaterBatch()
    {
        // A run resumed inside an epoch must see exactly the batches the interrupted run had left.
        var loader = new DataLoader<double>(DatasetTests.Numbered(23), batchSize: 5, seed: 9);
        var whole = EpochIds(loader, 2);
        var rest = new List<(int Index, int[] Ids)>();
        int d = loader.Data.FeatureCount;
        foreach (var batch in loader.Epoch(2, firstBatch: 3))
            rest.Add((batch.Index, Enumerable.Range(0, batch.Count).Select(i => DatasetTests.SampleId(batch.X.AsReadOnlySpan().Slice(i * d, d), d)).ToArray()));
        Assert.That(rest.Select(b => b.Index), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(rest.Select(b => b.Ids), Is.EqualTo(whole.Skip(3)));
        int after = 0;
        foreach (var _ in loader.Epoch(2, firstBatch: 5)) after++;
        Assert.That(after, Is.Zero, "starting after the last batch gives an empty epoch");
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, firstBatch: 6))!.Message, Does.Contain("first batch 6 is outside [0, 5]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, firstBatch: -1));
    }

    [Test]
    public void BatchIndexCountsUp()
    {
        var loader = new DataLoader<double>(DatasetTests.Numbered(10), 3);
        var indices = new List<int>();
        foreach (var batch in loader.Epoch(0)) indices.Add(batch.Index);
        Assert.That(indices, Is.EqualTo(new[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void OneHotTargetsMatchTheBatchLabels()
    {
        var loader = new DataLoader<float>(new Dataset<float>(new float[14], [0, 1, 2, 3, 4, 0, 1], 2), batchSize: 3, seed: 4);
        int batches = 0;
        foreach (var batch in loader.Epoch(0))
        {
            var t = batch.OneHot(5);
            Assert.That(t.Shape, Is.EqualTo(new Shape(batch.Count, 5)));
            Assert.That(batch.OneHot(5), Is.SameAs(t));
            for (int i = 0; i < batch.Count; i++)
                for (int c = 0; c < 5; c++)
                    Assert.That(t[i, c], Is.EqualTo(c == batch.Labels[i] ? 1f : 0f));
            batches++;
        }
        Assert.That(batches, Is.EqualTo(3));
        int rejected = 0;
        foreach (var batch in loader.Epoch(0))
        {
            if (batch.Labels.Any(l => l >= 3)) { Assert.Throws<ArgumentException>(() => batch.OneHot(3)); rejected++; }
            else Assert.That(batch.OneHot(3).Shape, Is.EqualTo(new Shape(batch.Count, 3)));
            Assert.That(batch.OneHot(5)[0, batch.Labels[0]], Is.EqualTo(1f), "a failed request leaves the next one working");
        }
        Assert.That(rejected, Is.GreaterThan(0));
    }

    [Test]
    public void BatchLargerThanTheDataGivesOneBatchUnlessDropped()
    {
        var data = DatasetTests.Numbered(5);
        Assert.That(EpochIds(new DataLoader<double>(data, 64), 0).Select(b => b.Length), Is.EqualTo(new[] { 5 }));
        Assert.That(EpochIds(new DataLoader<double>(data, 64, dropLast: true), 0), Is.Empty);
    }

    [Test]
    public void InvalidArgumentsAreRejected()
    {
        var data = DatasetTests.Numbered(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<double>(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<double>(data, 2).Epoch(-1));
    }
}
