using System.Runtime.InteropServices;
using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

/// <summary>
/// Pixel data sets keep their bytes and convert rows on the fly. These tests hold that conversion to the float path
/// it replaced, bit for bit: every pixel turned into <c>T</c> up front through a 256-entry table (b, or b/255 rounded
/// once), standardized by subtracting the mean and then multiplying by 1/std over that copy, and the standardizer
/// fitted by adding value after value in double. The feature counts cover the 512-bit, 256-bit and scalar paths of the
/// conversion and its overlapping last block; run with DOTNET_EnableAVX512=0 or DOTNET_EnableHWIntrinsic=0 to take
/// the AVX2 and scalar fallbacks on a machine with AVX-512.
/// </summary>
public class PixelDataTests
{
    private static readonly int[] FeatureCounts = [5, 40, 64, 70, 784];

    /// <summary>Pixels where every column takes all 256 values (in a column-dependent order) and column 1 is constant.</summary>
    private static (byte[] Pixels, byte[] Labels) Pixels(int count, int featureCount, ulong seed = 7)
    {
        var rng = new Rng(seed);
        var pixels = new byte[count * featureCount];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < featureCount; j++)
                pixels[i * featureCount + j] = j == 1 ? (byte)17 : i < 256 ? (byte)((i * 37 + j * 11) % 256) : (byte)rng.NextInt(256);
        var labels = new byte[count];
        for (int i = 0; i < count; i++) labels[i] = (byte)(i % 10);
        return (pixels, labels);
    }

    /// <summary>The replaced conversion: a table of the 256 values, applied pixel by pixel into a T array.</summary>
    private static T[] TableConversion<T>(byte[] pixels, PixelScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var table = new T[256];
        for (int b = 0; b < 256; b++) table[b] = scale == PixelScale.Raw ? T.CreateTruncating(b) : T.CreateTruncating(b) / T.CreateTruncating(255);
        return pixels.Select(p => table[p]).ToArray();
    }

    /// <summary>The replaced fit: per feature, the values added one after another in double, in row order.</summary>
    private static (double[] Mean, double[] Std) ScalarFit<T>(T[] features, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = features.Length / d;
        var mean = new double[d];
        var std = new double[d];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) mean[j] += double.CreateChecked(features[r * d + j]);
        for (int j = 0; j < d; j++) mean[j] /= rows;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++)
            {
                double dev = double.CreateChecked(features[r * d + j]) - mean[j];
                std[j] += dev * dev;
            }
        for (int j = 0; j < d; j++) std[j] = Math.Sqrt(std[j] / rows);
        return (mean, std);
    }

    /// <summary>The replaced transform: (x − mean) then · (1/std), each rounded to T; constant features untouched.</summary>
    private static T[] ScalarStandardize<T>(T[] features, int d, double[] mean, double[] std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = (T[])features.Clone();
        for (int i = 0; i < result.Length; i++)
        {
            int j = i % d;
            if (std[j] == 0) continue;
            T centred = result[i] - T.CreateChecked(mean[j]);
            result[i] = centred * T.CreateChecked(1.0 / std[j]);
        }
        return result;
    }

    private static void AssertBits<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string what) where T : unmanaged
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), what);
        var a = MemoryMarshal.AsBytes(actual);
        var e = MemoryMarshal.AsBytes(expected);
        if (a.SequenceEqual(e)) return;
        int size = a.Length / actual.Length, first = 0;
        while (a.Slice(first * size, size).SequenceEqual(e.Slice(first * size, size))) first++;
        Assert.Fail($"{what}: value {first} is {actual[first]}, the float path gives {expected[first]}.");
    }

    private static void PixelsMatchTheFloatPath<T>(PixelScale scale, bool standardize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int d in FeatureCounts)
        {
            var (pixels, labels) = Pixels(300, d);
            var reference = TableConversion<T>(pixels, scale);
            var data = Dataset<T>.FromBytes(pixels, labels, d, scale);
            if (standardize)
            {
                var (mean, std) = ScalarFit(reference, d);
                var fitted = Standardizer<T>.Fit(data);
                AssertBits<double>(fitted.Mean.ToArray(), mean, $"d={d}: mean");
                AssertBits<double>(fitted.Std.ToArray(), std, $"d={d}: std");
                reference = ScalarStandardize(reference, d, mean, std);
                data = fitted.Transform(data);
                Assert.That(data.Standardizer, Is.SameAs(fitted));
            }
            string what = $"{typeof(T).Name}, {scale}, {(standardize ? "standardized" : "plain")}, d={d}";
            AssertBits<T>(data.FeaturesTensor().AsReadOnlySpan(), reference, what + ": FeaturesTensor");
            AssertBits<T>(data.Row(123), reference.AsSpan(123 * d, d), what + ": Row");

            // The loader's batches against a loader over the float copy (the replaced storage), for a seed.
            var dense = new Dataset<T>(reference, labels.Select(l => (int)l).ToArray(), d);
            var fromPixels = new DataLoader<T>(data, batchSize: 64, seed: 11);
            var fromFloats = new DataLoader<T>(dense, batchSize: 64, seed: 11);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                var expected = new List<(T[] X, int[] Labels)>();
                foreach (var (x, l) in fromFloats.Epoch(epoch)) expected.Add((x.ToArray(), (int[])l.Clone()));
                int b = 0;
                foreach (var (x, l) in fromPixels.Epoch(epoch))
                {
                    AssertBits<T>(x.AsReadOnlySpan(), expected[b].X, $"{what}: epoch {epoch}, batch {b}");
                    Assert.That(l, Is.EqualTo(expected[b].Labels));
                    b++;
                }
                Assert.That(b, Is.EqualTo(expected.Count).And.EqualTo(5));
            }
        }
    }

    [Test]
    public void FloatPixelsMatchTheFloatPathBitForBit([Values] PixelScale scale, [Values] bool standardize) =>
        PixelsMatchTheFloatPath<float>(scale, standardize);

    [Test]
    public void DoublePixelsMatchTheFloatPathBitForBit([Values] PixelScale scale, [Values] bool standardize) =>
        PixelsMatchTheFloatPath<double>(scale, standardize);

    [Test]
    public void HalfPixelsTakeTheScalarPathWithTheSameValues()
    {
        var (pixels, labels) = Pixels(260, 9);
        var data = Dataset<Half>.FromBytes(pixels, labels, 9, PixelScale.UnitInterval);
        AssertBits<Half>(data.FeaturesTensor().AsReadOnlySpan(), TableConversion<Half>(pixels, PixelScale.UnitInterval), "Half");
    }

    [Test]
    public void FitOnFeatureValuesEqualsAddingValueAfterValue()
    {
        var rng = new Rng(5);
        int n = 301, d = 37;
        var x = new float[n * d];
        rng.FillNormal<float>(x, 3, 2);
        var fitted = Standardizer<float>.Fit(new Dataset<float>(x, new int[n], d));
        var (mean, std) = ScalarFit(x, d);
        AssertBits<double>(fitted.Mean.ToArray(), mean, "mean");
        AssertBits<double>(fitted.Std.ToArray(), std, "std");
        var fromSpan = Standardizer<float>.Fit(x, d);
        AssertBits<double>(fromSpan.Std.ToArray(), std, "std from a span");
    }

    [Test]
    public void SplitAndSubsetKeepPixelsScaleAndStandardizer()
    {
        var (pixels, labels) = Pixels(300, 70);
        var data = Dataset<float>.FromBytes(pixels, labels, 70, PixelScale.UnitInterval);
        var standardized = Standardizer<float>.Fit(data).Transform(data);
        var all = standardized.FeaturesTensor().ToArray();
        var (train, validation) = standardized.Split(0.8, seed: 3);
        var order = new int[300];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(3).Shuffle(order.AsSpan());
        foreach (var (part, offset) in new[] { (train, 0), (validation, 240) })
        {
            Assert.That(part.Scale, Is.EqualTo(PixelScale.UnitInterval));
            Assert.That(part.Standardizer, Is.SameAs(standardized.Standardizer));
            for (int i = 0; i < part.Count; i++)
            {
                AssertBits<float>(part.Row(i), all.AsSpan(order[offset + i] * 70, 70), $"row {i}");
                Assert.That(part.Labels[i], Is.EqualTo(labels[order[offset + i]]));
            }
        }
        var picked = validation.Subset([5, 0]);
        AssertBits<float>(picked.FeaturesTensor().AsReadOnlySpan(), [.. all.AsSpan(order[245] * 70, 70), .. all.AsSpan(order[240] * 70, 70)], "a subset of a part");

        var images = Dataset<float>.FromBytes(new byte[6_000 * 784], new byte[6_000], 784, PixelScale.UnitInterval);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (big, small) = images.Split(0.9, seed: 1);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(6_000 * 16 + 16_384), "the parts of a split share the pixels");
        Assert.That((big.Count, small.Count), Is.EqualTo((5_400, 600)));
    }

    [Test]
    public void StandardizingTwiceEqualsStandardizingTheFloatsTwice()
    {
        var (pixels, labels) = Pixels(300, 40);
        var data = Dataset<double>.FromBytes(pixels, labels, 40, PixelScale.Raw);
        var first = Standardizer<double>.Fit(data).Transform(data);
        var second = Standardizer<double>.Fit(first);
        var twice = second.Transform(first);
        Assert.That(twice.Scale, Is.Null, "pixels standardized twice are materialized once");

        var reference = TableConversion<double>(pixels, PixelScale.Raw);
        var (mean, std) = ScalarFit(reference, 40);
        reference = ScalarStandardize(reference, 40, mean, std);
        (mean, std) = ScalarFit(reference, 40);
        AssertBits<double>(twice.FeaturesTensor().AsReadOnlySpan(), ScalarStandardize(reference, 40, mean, std), "twice");
    }

    [Test]
    public void CopyRowsChecksItsArguments()
    {
        var (pixels, labels) = Pixels(4, 5);
        var data = Dataset<float>.FromBytes(pixels, labels, 5, PixelScale.Raw);
        var e = Assert.Throws<ArgumentException>(() => data.CopyRows([0, 1], new float[9]))!;
        Assert.That(e.Message, Does.Contain("Dataset.CopyRows").And.Contain("9").And.Contain("10"));
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyRows([0, 4], new float[10]))!;
        Assert.That(r.Message, Does.Contain("index 4 at position 1").And.Contain("0..3"));
        Assert.Throws<ArgumentException>(() => Dataset<float>.FromBytes(pixels, labels, 6, PixelScale.Raw));
        Assert.Throws<ArgumentException>(() => Standardizer<float>.Fit(data).Transform(Dataset<float>.FromBytes(new byte[6], [0, 0], 3, PixelScale.Raw)));
    }

    [Test]
    public void FromIdxSharesTheImagesPixels()
    {
        var images = DataTestFiles.Images(3);
        var data = Dataset<float>.FromIdx(images, DataTestFiles.Labels(3), PixelScale.Raw);
        images.Pixels[12] = 200;   // image 1, pixel 0
        Assert.That(data.Row(1)[0], Is.EqualTo(200f));
    }

    /// <summary>Fashion-MNIST-like 28×28 images: a dark border and noisy content, so gzip compresses them about 2:1 as it does the real files.</summary>
    private static IdxImages SyntheticImages(int count)
    {
        var rng = new Rng(21);
        var pixels = new byte[count * 784];
        for (int i = 0; i < pixels.Length; i++)
        {
            int row = i % 784 / 28, col = i % 28;
            pixels[i] = row is < 4 or >= 24 || col is < 4 or >= 24 ? (byte)0 : (byte)rng.NextInt(256);
        }
        return new IdxImages(count, 28, 28, pixels);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void LoadingImagesAllocatesAboutOneBytePerPixel(bool gzip)
    {
        using var dir = new TempDir();
        string ext = gzip ? ".gz" : "";
        var train = SyntheticImages(6_000);
        var test = SyntheticImages(1_000);
        IdxWriter.WriteImages(dir.File("train-images-idx3-ubyte" + ext), train);
        IdxWriter.WriteLabels(dir.File("train-labels-idx1-ubyte" + ext), DataTestFiles.Labels(6_000));
        IdxWriter.WriteImages(dir.File("t10k-images-idx3-ubyte" + ext), test);
        IdxWriter.WriteLabels(dir.File("t10k-labels-idx1-ubyte" + ext), DataTestFiles.Labels(1_000));
        long pixelBytes = train.Pixels.Length + test.Pixels.Length;

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (trainSet, testSet) = Mnist.LoadDirectory<float>(dir.Path, PixelScale.UnitInterval);
        long loading = GC.GetAllocatedBytesForCurrentThread() - before;
        // The pixels once, the labels as bytes and as ints (5 bytes per image), and the readers' buffers.
        Assert.That(loading, Is.LessThan(1.2 * pixelBytes + (1 << 20)),
            $"loading {pixelBytes} pixel bytes allocated {loading} bytes; a float copy alone would be {4 * pixelBytes}");

        before = GC.GetAllocatedBytesForCurrentThread();
        var standardizer = Standardizer<float>.Fit(trainSet);
        trainSet = standardizer.Transform(trainSet);
        testSet = standardizer.Transform(testSet);
        long standardizing = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(standardizing, Is.LessThan(256 * 1024), "fitting reads blocks of rows and the transform shares the pixels");

        var loader = new DataLoader<float>(trainSet, batchSize: 64, seed: 1);
        foreach (var _ in loader.Epoch(0)) { }   // the first epoch allocates the batch buffers
        before = GC.GetAllocatedBytesForCurrentThread();
        int batches = 0;
        foreach (var _ in loader.Epoch(1)) batches++;
        Assert.That(batches, Is.EqualTo(94));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024), "an epoch converts into the reused batch buffers");
        Assert.That(testSet.Count, Is.EqualTo(1_000));
    }
}
