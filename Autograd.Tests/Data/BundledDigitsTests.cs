using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class BundledDigitsTests
{
    [Test]
    public void RawDigitsAreTenThousandLabelledImages()
    {
        var (images, labels) = BundledDigits.LoadRaw();
        Assert.That((images.Count, images.Rows, images.Cols), Is.EqualTo((10_000, 28, 28)));
        Assert.That(labels, Has.Length.EqualTo(10_000));
        Assert.That(labels.Distinct().Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (byte)i)));
        // Real handwriting: dark background, some full-intensity ink, and ink on every image.
        Assert.That(images.Pixels.Max(), Is.EqualTo(255));
        Assert.That(images.Pixels.Count(p => p == 0), Is.GreaterThan(images.Pixels.Length / 2));
        for (int i = 0; i < images.Count; i += 997) Assert.That(images.Image(i).ToArray().Count(p => p > 128), Is.GreaterThan(20));
        Assert.That(labels, Is.Ordered, "stored digit by digit");
    }

    [Test]
    public void LoadSplitsEightThousandTwoThousandReproducibly()
    {
        var (train, test) = BundledDigits.Load<float>();
        Assert.That((train.Count, test.Count), Is.EqualTo((8_000, 2_000)));
        Assert.That((train.FeatureCount, test.FeatureCount), Is.EqualTo((784, 784)));
        var features = train.FeaturesTensor().ToArray();
        Assert.That(features.Min(), Is.EqualTo(0f));
        Assert.That(features.Max(), Is.EqualTo(1f));
        foreach (var part in new[] { train, test })
            Assert.That(part.ClassCounts(10), Is.All.GreaterThan(part.Count / 20), "every digit well represented in both parts");

        var (train2, _) = BundledDigits.Load<float>();
        Assert.That(train2.Labels.SequenceEqual(train.Labels), Is.True);
        Assert.That(train2.FeaturesTensor().ToArray().AsSpan().SequenceEqual(features), Is.True);
    }

    [Test]
    public void RawScaleKeepsBytesAndTheSplitIsAPartition()
    {
        var all = BundledDigits.LoadAll<double>(PixelScale.Raw);
        var (train, test) = BundledDigits.Load<double>(PixelScale.Raw);
        Assert.That(all.FeaturesTensor().ToArray().All(v => v >= 0 && v <= 255 && v == Math.Floor(v)), Is.True, "raw pixels are whole numbers 0..255");
        // Images as keys: the two parts together are exactly the bundled set (duplicates counted).
        static string Key(Dataset<double> d, int i)
        {
            var bytes = new byte[d.FeatureCount + 1];
            bytes[0] = (byte)d.Labels[i];
            var row = d.Row(i);
            for (int j = 0; j < row.Length; j++) bytes[j + 1] = (byte)row[j];
            return Convert.ToBase64String(bytes);
        }
        var whole = Enumerable.Range(0, all.Count).Select(i => Key(all, i)).ToList();
        var parts = Enumerable.Range(0, train.Count).Select(i => Key(train, i))
            .Concat(Enumerable.Range(0, test.Count).Select(i => Key(test, i))).ToList();
        Assert.That(parts.Order(StringComparer.Ordinal).SequenceEqual(whole.Order(StringComparer.Ordinal)), Is.True);
    }
}
