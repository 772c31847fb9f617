using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class CifarTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    [Test]
    public void ParsesLabelsAndChannelMajorPixels()
    {
        string path = _dir.File("data_batch_1.bin");
        File.WriteAllBytes(path, DataTestFiles.CifarRecords(3));
        var batch = Cifar10Reader.ReadBatch(path);
        Assert.That(batch.Count, Is.EqualTo(3));
        Assert.That(batch.Labels, Is.EqualTo(new byte[] { 0, 1, 2 }));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < Cifar10Batch.PixelsPerImage; j += 97)
                Assert.That(batch.Pixels[i * Cifar10Batch.PixelsPerImage + j], Is.EqualTo((byte)((i + j) % 251)));
    }

    [Test]
    public void LengthNotAMultipleOfTheRecordIsRejected()
    {
        string path = _dir.File("test_batch.bin");
        File.WriteAllBytes(path, DataTestFiles.CifarRecords(2)[..^5]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Reader.ReadBatch(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain((2 * 3073 - 5).ToString()).And.Contain("3073"));

        File.WriteAllBytes(path, []);
        Assert.That(Assert.Throws<InvalidDataException>(() => Cifar10Reader.ReadBatch(path))!.Message, Does.Contain(path));
    }

    [Test]
    public void LabelAboveNineIsRejected()
    {
        string path = _dir.File("data_batch_2.bin");
        var bytes = DataTestFiles.CifarRecords(3);
        bytes[2 * Cifar10Reader.RecordSize] = 10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Reader.ReadBatch(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("record 2").And.Contain("label 10"));
    }

    private void WriteAll(string dir, int perFile)
    {
        Directory.CreateDirectory(dir);
        for (int f = 0; f < 5; f++)
            File.WriteAllBytes(Path.Combine(dir, Cifar10Reader.TrainFiles[f]), DataTestFiles.CifarRecords(perFile, f * perFile));
        File.WriteAllBytes(Path.Combine(dir, Cifar10Reader.TestFile), DataTestFiles.CifarRecords(perFile, 1000));
    }

    [Test]
    public void DirectoryConcatenatesTheFiveTrainingBatchesInOrder()
    {
        WriteAll(_dir.Path, perFile: 2);
        var (train, test) = Cifar10Reader.LoadDirectory(_dir.Path);
        Assert.That(train.Count, Is.EqualTo(10));
        Assert.That(train.Labels, Is.EqualTo(Enumerable.Range(0, 10).Select(i => (byte)(i % 10)).ToArray()));
        // Record i's first pixel is i % 251: the order of files and records survives the concatenation.
        for (int i = 0; i < 10; i++) Assert.That(train.Pixels[i * Cifar10Batch.PixelsPerImage], Is.EqualTo((byte)i));
        Assert.That(test.Count, Is.EqualTo(2));
        Assert.That(test.Pixels[0], Is.EqualTo((byte)(1000 % 251)));

        var data = Dataset<float>.FromCifar10(train, PixelScale.UnitInterval);
        Assert.That((data.Count, data.FeatureCount), Is.EqualTo((10, 3072)));
        Assert.That(data.Row(3)[0], Is.EqualTo(3f / 255f));
    }

    [Test]
    public void DirectoryReadsTheTrainingPixelsIntoOneArray()
    {
        WriteAll(_dir.Path, perFile: 100);
        long pixelBytes = 6 * 100L * Cifar10Batch.PixelsPerImage;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (train, _) = Cifar10Reader.LoadDirectory(_dir.Path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(train.Count, Is.EqualTo(500));
        // Per-file arrays concatenated afterwards would hold the training pixels twice.
        Assert.That(allocated, Is.LessThan(1.1 * pixelBytes + (1 << 18)), $"{allocated} bytes allocated for {pixelBytes} pixel bytes");
    }

    [Test]
    public void ExtractedArchiveSubfolderIsFound()
    {
        WriteAll(Path.Combine(_dir.Path, "cifar-10-batches-bin"), perFile: 1);
        var (train, test) = Cifar10Reader.LoadDirectory(_dir.Path);
        Assert.That((train.Count, test.Count), Is.EqualTo((5, 1)));
    }

    [Test]
    public void MissingFilesAreAllListed()
    {
        WriteAll(_dir.Path, perFile: 1);
        File.Delete(_dir.File("data_batch_3.bin"));
        File.Delete(_dir.File("test_batch.bin"));
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10Reader.LoadDirectory(_dir.Path))!;
        Assert.That(e.Message, Does.Contain(_dir.Path).And.Contain("data_batch_3.bin").And.Contain("test_batch.bin"));
        Assert.That(e.Message, Does.Not.Contain("lacks data_batch_1.bin"));
    }
}
