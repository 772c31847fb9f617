using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class DatasetTests
{
    /// <summary>N samples of D features where sample i's features are i·D … i·D+D−1 (identifies rows after shuffles).</summary>
    internal static Dataset<double> Numbered(int n, int d = 3, int classes = 10)
    {
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = i;
        return new Dataset<double>(x, Enumerable.Range(0, n).Select(i => i % classes).ToArray(), d);
    }

    internal static int SampleId(ReadOnlySpan<double> row, int d) => (int)row[0] / d;

    [Test]
    public void FromIdxScalesPixels()
    {
        var images = new IdxImages(2, 1, 3, [0, 128, 255, 1, 2, 3]);
        var raw = Dataset<float>.FromIdx(images, [4, 7], PixelScale.Raw);
        var unit = Dataset<double>.FromIdx(images, [4, 7], PixelScale.UnitInterval);
        Assert.That(raw.FeaturesTensor().ToArray(), Is.EqualTo(new float[] { 0, 128, 255, 1, 2, 3 }));
        Assert.That(unit.FeaturesTensor().ToArray(), Is.EqualTo(new[] { 0, 128 / 255.0, 1, 1 / 255.0, 2 / 255.0, 3 / 255.0 }));
        Assert.That(raw.Labels, Is.EqualTo(new[] { 4, 7 }));
        Assert.That(raw.FeatureCount, Is.EqualTo(3));
        Assert.Throws<ArgumentException>(() => Dataset<float>.FromIdx(images, [1], PixelScale.Raw));
    }

    [Test]
    public void ConstructorRejectsMismatchedShapes()
    {
        Assert.Throws<ArgumentException>(() => new Dataset<float>(new float[7], [0, 1], 3));
        Assert.Throws<ArgumentException>(() => new Dataset<float>(new float[6], [0, -1], 3));
    }

    [TestCase(0.8, 80)]
    [TestCase(0.0, 0)]
    [TestCase(1.0, 100)]
    [TestCase(0.333, 33)]
    public void SplitHasTheRequestedSizesAndPartitionsTheSamples(double fraction, int expectedTrain)
    {
        var data = Numbered(100);
        var (train, valid) = data.Split(fraction, seed: 5);
        Assert.That((train.Count, valid.Count), Is.EqualTo((expectedTrain, 100 - expectedTrain)));
        var ids = new List<int>();
        for (int i = 0; i < train.Count; i++) ids.Add(SampleId(train.Row(i), 3));
        for (int i = 0; i < valid.Count; i++) ids.Add(SampleId(valid.Row(i), 3));
        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(0, 100)), "every sample in exactly one part");
        for (int i = 0; i < train.Count; i++)
            Assert.That(train.Labels[i], Is.EqualTo(SampleId(train.Row(i), 3) % 10), "labels travel with their rows");
    }

    [Test]
    public void SplitIsReproducibleAndSeedDependent()
    {
        var data = Numbered(50);
        var a = data.Split(30, seed: 1).Train.FeaturesTensor().ToArray();
        var b = data.Split(30, seed: 1).Train.FeaturesTensor().ToArray();
        var c = data.Split(30, seed: 2).Train.FeaturesTensor().ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(a, Is.Not.EqualTo(data.FeaturesTensor().ToArray()[..90]), "the split shuffles");
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(51, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(1.5, 0));
    }

    [Test]
    public void OneHotHasASingleOneAtTheLabel()
    {
        var data = new Dataset<float>(new float[4], [2, 0, 1, 2], 1);
        Assert.That(data.OneHot(3), Is.EqualTo(new float[] { 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1 }));
        var e = Assert.Throws<ArgumentException>(() => data.OneHot(2))!;
        Assert.That(e.Message, Does.Contain("label 2"));
    }

    [Test]
    public void StandardizerCentersAndScalesNonConstantFeaturesAndLeavesConstantOnes()
    {
        var rng = new Rng(3);
        int n = 500, d = 4;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            x[i * d] = (float)(10 + 3 * rng.NextNormal());
            x[i * d + 1] = 7.25f;                              // constant
            x[i * d + 2] = (float)(rng.NextDouble() * 255);
            x[i * d + 3] = (float)(-1e-3 * rng.NextDouble());  // tiny but not constant
        }
        var train = new Dataset<float>(x, new int[n], d);
        var s = Standardizer<float>.Fit(train);
        var t = s.Transform(train).FeaturesTensor().ToArray();
        Assert.That(s.IsConstant(1), Is.True);
        Assert.That(s.IsConstant(0) || s.IsConstant(2) || s.IsConstant(3), Is.False);
        for (int j = 0; j < d; j++)
        {
            var col = Enumerable.Range(0, n).Select(i => (double)t[i * d + j]).ToArray();
            double mean = col.Average(), std = Math.Sqrt(col.Select(v => (v - mean) * (v - mean)).Average());
            if (j == 1)
                Assert.That(col, Is.All.EqualTo(7.25), "constant feature unchanged");
            else
            {
                Assert.That(mean, Is.EqualTo(0).Within(1e-5), $"feature {j} mean");
                Assert.That(std, Is.EqualTo(1).Within(1e-4), $"feature {j} std");
            }
        }
        Assert.That(train.Row(0)[1], Is.EqualTo(7.25f));
        Assert.That(x[0], Is.EqualTo(train.Row(0)[0]), "Transform copies; the input is untouched");
    }

    [Test]
    public void StandardizerAppliesTrainStatisticsToOtherData()
    {
        var train = new Dataset<double>([0, 5, 2, 5, 4, 5], [0, 0, 0], 2);   // feature 0: mean 2, std sqrt(8/3)
        var other = new Dataset<double>([2, 9, 6, 1], [0, 0], 2);
        var s = Standardizer<double>.Fit(train);
        var t = s.Transform(other).FeaturesTensor().ToArray();
        double std = Math.Sqrt(8.0 / 3);
        Assert.That(t[0], Is.EqualTo(0).Within(1e-12));
        Assert.That(t[2], Is.EqualTo(4 / std).Within(1e-12));
        Assert.That(new[] { t[1], t[3] }, Is.EqualTo(new[] { 9.0, 1.0 }), "constant-on-train feature passes through");
        Assert.Throws<ArgumentException>(() => s.Transform(new Dataset<double>(new double[3], [0], 3)));
    }
}
