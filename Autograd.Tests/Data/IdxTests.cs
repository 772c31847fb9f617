using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class IdxTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    [TestCase(false)]
    [TestCase(true)]
    public void ImagesAndLabelsRoundTrip(bool gzip)
    {
        var images = DataTestFiles.Images(7, rows: 5, cols: 6);
        var labels = DataTestFiles.Labels(7);
        string ip = _dir.File(gzip ? "img.gz" : "img"), lp = _dir.File(gzip ? "lab.gz" : "lab");
        IdxWriter.WriteImages(ip, images);
        IdxWriter.WriteLabels(lp, labels);

        Assert.That(IdxReader.IsGzip(File.ReadAllBytes(ip)), Is.EqualTo(gzip));
        var back = IdxReader.ReadImages(ip);
        Assert.That((back.Count, back.Rows, back.Cols), Is.EqualTo((7, 5, 6)));
        Assert.That(back.Pixels, Is.EqualTo(images.Pixels));
        Assert.That(IdxReader.ReadLabels(lp), Is.EqualTo(labels));
    }

    [Test]
    public void RawFileHasTheDocumentedLayout()
    {
        var images = new IdxImages(2, 1, 2, [1, 2, 3, 4]);
        IdxWriter.WriteImages(_dir.File("x"), images, gzip: false);
        Assert.That(File.ReadAllBytes(_dir.File("x")),
            Is.EqualTo(new byte[] { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4 }));
    }

    [Test]
    public void CompressionIsDetectedByContentNotName()
    {
        var labels = DataTestFiles.Labels(20);
        IdxWriter.WriteLabels(_dir.File("gz-named-plain.idx"), labels, gzip: true);
        IdxWriter.WriteLabels(_dir.File("plain-named.gz"), labels, gzip: false);
        Assert.That(IdxReader.ReadLabels(_dir.File("gz-named-plain.idx")), Is.EqualTo(labels));
        Assert.That(IdxReader.ReadLabels(_dir.File("plain-named.gz")), Is.EqualTo(labels));
    }

    [Test]
    public void WriterOverwritesAtomicallyAndLeavesNoTemporaryFiles()
    {
        string path = _dir.File("labels.gz");
        IdxWriter.WriteLabels(path, [1, 2, 3]);
        IdxWriter.WriteLabels(path, [4, 5]);
        Assert.That(IdxReader.ReadLabels(path), Is.EqualTo(new byte[] { 4, 5 }));
        Assert.That(Directory.GetFiles(_dir.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void ReadsFromNonSeekableStreams()
    {
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.LabelsMagic, [3], [0, 9, 5]));
        using var pipe = new NonSeekable(gz);
        Assert.That(IdxReader.ReadLabels(pipe, "pipe"), Is.EqualTo(new byte[] { 0, 9, 5 }));
    }

    private static InvalidDataException ReadImagesFails(string path) =>
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path))!;

    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedPayloadNamesFileAndByteCounts(bool gzip)
    {
        var raw = DataTestFiles.RawIdx(IdxReader.ImagesMagic, [3, 4, 5], new byte[3 * 20 - 7]);
        string path = _dir.File("short");
        File.WriteAllBytes(path, gzip ? DataTestFiles.Gzip(raw) : raw);
        var e = ReadImagesFails(path);
        Assert.That(e.Message, Does.Contain(path).And.Contain("truncated").And.Contain("60").And.Contain("53"));
    }

    [Test]
    public void TruncatedGzipStreamIsAnErrorNamingTheFile()
    {
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.ImagesMagic, [50, 8, 8], DataTestFiles.Images(50, 8, 8).Pixels));
        string path = _dir.File("cut.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path));
    }

    [Test]
    public void BytesAppendedAfterTheGzipDataAreAnError()
    {
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.LabelsMagic, [3], [1, 2, 3]));
        string path = _dir.File("appended.gz");
        File.WriteAllBytes(path, [.. gz, 7, 7, 7, 7]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("extra bytes"));
    }

    [Test]
    public void GzipMissingItsTrailerOrWithAWrongChecksumIsAnError()
    {
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.LabelsMagic, [3], [1, 2, 3]));
        string path = _dir.File("damaged.gz");
        File.WriteAllBytes(path, gz[..^4]);   // size field cut off
        Assert.That(Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path))!.Message, Does.Contain(path));
        var badCrc = (byte[])gz.Clone();
        badCrc[^8] ^= 1;
        File.WriteAllBytes(path, badCrc);
        Assert.That(Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path))!.Message, Does.Contain(path));
    }

    [Test]
    public void HeaderCutShortIsAnError()
    {
        string path = _dir.File("header");
        File.WriteAllBytes(path, DataTestFiles.RawIdx(IdxReader.ImagesMagic, [3], []));
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("header"));
        File.WriteAllBytes(path, [0, 0]);
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("magic"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TrailingBytesAreAnError(bool gzip)
    {
        var raw = DataTestFiles.RawIdx(IdxReader.LabelsMagic, [4], [1, 2, 3, 4, 99, 98]);
        string path = _dir.File("trailing");
        File.WriteAllBytes(path, gzip ? DataTestFiles.Gzip(raw) : raw);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("2 unexpected trailing byte"));
    }

    [Test]
    public void CorruptedMagicIsRejected()
    {
        string path = _dir.File("notidx");
        File.WriteAllBytes(path, DataTestFiles.RawIdx(0x12340803, [1, 1, 1], [0]));
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("0x12340803").And.Contain("not an IDX header"));
    }

    [Test]
    public void OtherElementTypesAreRejected()
    {
        string path = _dir.File("floats");
        File.WriteAllBytes(path, DataTestFiles.RawIdx(0x00000D03, [1, 1, 1], [0, 0, 0, 0]));
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("float32").And.Contain("0x0D"));
    }

    [Test]
    public void WrongDimensionCountIsRejected()
    {
        string labels = _dir.File("labels");
        IdxWriter.WriteLabels(labels, [1, 2]);
        Assert.That(ReadImagesFails(labels).Message, Does.Contain(labels).And.Contain("1 dimension(s)").And.Contain("label file"));

        string images = _dir.File("images");
        IdxWriter.WriteImages(images, DataTestFiles.Images(2));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(images))!;
        Assert.That(e.Message, Does.Contain(images).And.Contain("3 dimension(s)"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void HugeClaimedSizeIsReportedAsTruncationWithoutAllocatingIt(bool gzip)
    {
        var raw = DataTestFiles.RawIdx(IdxReader.ImagesMagic, [60000, 28, 1000], new byte[10]);   // claims 1.68 GB
        string path = _dir.File("huge");
        File.WriteAllBytes(path, gzip ? DataTestFiles.Gzip(raw) : raw);
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("truncated").And.Contain("1680000000"));
    }

    [Test]
    public void NegativeDimensionIsRejected()
    {
        string path = _dir.File("negative");
        File.WriteAllBytes(path, DataTestFiles.RawIdx(IdxReader.ImagesMagic, [-1, 28, 28], []));
        Assert.That(ReadImagesFails(path).Message, Does.Contain(path).And.Contain("negative"));
    }

    [Test]
    public void LabelOutOfRangeIsRejected()
    {
        string path = _dir.File("labels.gz");
        IdxWriter.WriteLabels(path, [0, 9, 10, 3]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("label 10 at index 2").And.Contain("0..9"));
        Assert.That(IdxReader.ReadLabels(path, classCount: 11), Is.EqualTo(new byte[] { 0, 9, 10, 3 }));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path, classCount: 5));
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        string path = _dir.File("nope.gz");
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path))!;
        Assert.That(e.Message, Does.Contain(path));
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
