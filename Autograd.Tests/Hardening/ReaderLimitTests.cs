using System.Buffers.Binary;
using System.Text;
using Autograd.Nn;
using Autograd.Nn.Data;
using Autograd.Tests.Data;

namespace Autograd.Tests.Hardening;

/// <summary>
/// The reader defects of the hardening issue, each reproduced: a gzip size bomb, invalid text in a safetensors header,
/// an oversized tensor in a valid (sparse) file, a CIFAR-10 file over 2 GB, and folders passed as files.
/// </summary>
public class ReaderLimitTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    private static T ThrowsWithin<T>(long allocationBound, Action load) where T : Exception
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Catch<T>(() => load())!;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(allocationBound), "bytes allocated by the failing load");
        return e;
    }

    // ---- item 1: a 35-byte gzip whose IDX header claims [1, 46340, 46340] and whose trailer claims 4 GB

    private static byte[] GzipBomb(int magic, int[] dims)
    {
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(magic, dims, []));
        BinaryPrimitives.WriteUInt32LittleEndian(gz.AsSpan(gz.Length - 4), uint.MaxValue);   // ISIZE
        return gz;
    }

    [Test]
    public void GzipBombIsRejectedWithoutAllocatingWhatItClaims()
    {
        var bomb = GzipBomb(IdxReader.ImagesMagic, [1, 46340, 46340]);
        Assert.That(bomb.Length, Is.LessThan(64));
        string path = _dir.File("bomb-images.gz");
        File.WriteAllBytes(path, bomb);

        // zlib rejects the forged trailer as the deflate data ends, which is inside the 16-byte header here.
        var e = ThrowsWithin<InvalidDataException>(1 << 20, () => IdxReader.ReadImages(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain("cannot be read after").And.Contain("inside the IDX header"));

        var s = ThrowsWithin<InvalidDataException>(1 << 20, () => IdxReader.ReadImages(new OneWayStream(bomb), "bomb-stream"));
        Assert.That(s.Message, Does.Contain("bomb-stream").And.Contain("inside the IDX header"));

        // With a header that decodes before the data ends, the claim is compared with what arrives.
        var padded = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.ImagesMagic, [1, 46340, 46340], new byte[100]));
        BinaryPrimitives.WriteUInt32LittleEndian(padded.AsSpan(padded.Length - 4), uint.MaxValue);
        File.WriteAllBytes(path, padded);
        var p = ThrowsWithin<InvalidDataException>(1 << 20, () => IdxReader.ReadImages(path));
        Assert.That(p.Message, Does.Contain(path).And.Contain("of the 2147395616 decompressed bytes that its header [1, 46340, 46340] needs"));

        string labels = _dir.File("bomb-labels.gz");
        File.WriteAllBytes(labels, GzipBomb(IdxReader.LabelsMagic, [Array.MaxLength]));
        var l = ThrowsWithin<InvalidDataException>(1 << 20, () => IdxReader.ReadLabels(labels));
        Assert.That(l.Message, Does.Contain(labels).And.Contain("cannot be read after"));
    }

    [Test]
    public void GzipThatInflatesShortOfItsHeaderNamesExpectedAndFoundSizes()
    {
        // A genuine gzip of a header claiming 3 MB followed by 1 MB: the buffer grows with the data, then the load fails.
        var payload = new byte[1 << 20];
        var gz = DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.LabelsMagic, [3 << 20], payload));
        BinaryPrimitives.WriteUInt32LittleEndian(gz.AsSpan(gz.Length - 4), (3u << 20) + 8);   // a trailer that agrees with the header
        string path = _dir.File("short.gz");
        File.WriteAllBytes(path, gz);
        var e = ThrowsWithin<InvalidDataException>(4L * payload.Length + (1 << 20), () => IdxReader.ReadLabels(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain($"of the {8 + (3 << 20)} decompressed bytes that its header [{3 << 20}] needs"));
    }

    [Test]
    public void LargeGenuineGzipStillLoads()
    {
        var labels = DataTestFiles.Labels(1 << 20);   // compresses far better than 8:1, so its buffer grows by doubling
        string path = _dir.File("many-labels.gz");
        IdxWriter.WriteLabels(path, labels, gzip: true);
        Assert.That(new FileInfo(path).Length * 8, Is.LessThan(labels.Length), "the file is small enough to exercise the growth");
        Assert.That(IdxReader.ReadLabels(path), Is.EqualTo(labels));
    }

    // ---- item 2: invalid text in a safetensors header

    private static byte[] SafeTensorsFile(byte[] header) => ReaderFuzzTests.SafeTensorsFile(header, dataBytes: 0);

    [TestCase(new byte[] { 0xFF }, "not valid UTF-8", TestName = "Header key with byte FF")]
    [TestCase(new byte[] { 0xC0, 0x80 }, "not valid UTF-8", TestName = "Header key with an overlong NUL")]
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 }, "not valid UTF-8", TestName = "Header key with a UTF-8-encoded surrogate")]
    [TestCase(new byte[] { (byte)'\\', (byte)'u', (byte)'D', (byte)'8', (byte)'0', (byte)'0' }, "not valid Unicode", TestName = "Header key with an escaped lone surrogate")]
    public void InvalidTextInTheHeaderIsInvalidDataNamingTheFile(byte[] bad, string expected)
    {
        var header = Encoding.UTF8.GetBytes("{\"t").Concat(bad).Concat(Encoding.UTF8.GetBytes("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")).ToArray();
        string path = _dir.File("bad-text.safetensors");
        File.WriteAllBytes(path, SafeTensorsFile(header));
        foreach (var load in new Action[] { () => SafeTensors.Load<float>(path), () => SafeTensors.ReadHeader(path) })
        {
            var e = Assert.Throws<InvalidDataException>(() => load())!;
            Assert.That(e.Message, Does.Contain(path).And.Contain(expected));
        }
    }

    [Test]
    public void ValidNonAsciiNamesStillLoad()
    {
        string path = _dir.File("unicode.safetensors");
        SafeTensors.Save(path, [new KeyValuePair<string, Tensor<float>>("poids-é-😀", Tensor.Ones<float>(2))]);
        Assert.That(SafeTensors.Load<float>(path).Keys, Is.EqualTo(new[] { "poids-é-😀" }));
        File.WriteAllBytes(path, SafeTensorsFile("{\"\\u00e9\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"u8.ToArray()));
        Assert.That(SafeTensors.ReadHeader(path).Tensors.Single().Name, Is.EqualTo("é😀"));
    }

    // ---- item 3: a valid header whose F32 tensor has more elements than an array can hold (a sparse 8.6 GB file)

    [Test]
    public void TensorLargerThanAnArrayIsInvalidDataNamingTheFile()
    {
        const long elements = 2_147_483_600;   // above Array.MaxLength (2,147,483,591), below int.MaxValue
        var header = Encoding.UTF8.GetBytes($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{elements}],\"data_offsets\":[0,{4 * elements}]}}}}");
        var start = SafeTensorsFile(header);
        string path = _dir.File("huge.safetensors");
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            f.Write(start);
            f.SetLength(start.Length + 4 * elements);   // sparse: the data occupies no disk blocks
        }
        foreach (var load in new Action[] { () => SafeTensors.Load<float>(path), () => SafeTensors.ReadHeader(path) })
        {
            var e = ThrowsWithin<InvalidDataException>(1 << 20, load);
            Assert.That(e.Message, Does.Contain(path).And.Contain("'w'").And.Contain($"[{elements}]").And.Contain(Array.MaxLength.ToString()));
        }
    }

    // ---- item 10: a CIFAR-10 file over 2 GB, folders passed as files

    [Test]
    public void CifarFileTooLargeForOneArrayIsInvalidDataNamingTheFile()
    {
        string path = _dir.File("data_batch_huge.bin");
        const long records = 700_000;   // 2.15 GB: more than File.ReadAllBytes (and one pixel array) can take
        using (var f = new FileStream(path, FileMode.CreateNew)) f.SetLength(records * Cifar10Reader.RecordSize);
        var e = ThrowsWithin<InvalidDataException>(1 << 20, () => Cifar10Reader.ReadBatch(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain("700000 records").And.Contain("10,000 records"));
    }

    [Test]
    public void CifarReadsRecordByRecord()
    {
        string path = _dir.File("data_batch_1.bin");
        File.WriteAllBytes(path, DataTestFiles.CifarRecords(40));
        var batch = Cifar10Reader.ReadBatch(path);
        Assert.That(batch.Count, Is.EqualTo(40));
        Assert.That(batch.Labels, Is.EqualTo(Enumerable.Range(0, 40).Select(i => (byte)(i % 10))));
        Assert.That(batch.Pixels.AsSpan(39 * 3072, 3).ToArray(), Is.EqualTo(new[] { (byte)(39 % 251), (byte)(40 % 251), (byte)(41 % 251) }));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Cifar10Reader.ReadBatch(path);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(40 * 3073 + (1 << 17)), "the file is not loaded whole besides the batch");
    }

    [Test]
    public void FoldersPassedAsFilesAreFileNotFoundNamingThePath()
    {
        string folder = _dir.Path;
        var calls = new (string Kind, Action Load)[]
        {
            ("IDX file", () => IdxReader.ReadImages(folder)),
            ("IDX file", () => IdxReader.ReadLabels(folder)),
            ("CIFAR-10 file", () => Cifar10Reader.ReadBatch(folder)),
            ("SafeTensors file", () => SafeTensors.Load<float>(folder)),
            ("SafeTensors file", () => SafeTensors.ReadHeader(folder)),
        };
        foreach (var (kind, load) in calls)
        {
            var e = Assert.Throws<FileNotFoundException>(() => load(), kind)!;
            Assert.That(e.Message, Does.Contain(kind).And.Contain(folder).And.Contain("is a folder"));
            Assert.That(e.FileName, Is.EqualTo(folder));
        }
        var missing = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load<float>(_dir.File("nope/model.safetensors")))!;
        Assert.That(missing.Message, Does.Contain("does not exist").And.Contain("nope"));
    }
}
