using System.Text;
using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class SafeTensorsTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A file laid out by hand: 8-byte little-endian length, the header (padded to 8 with spaces), the data.</summary>
    private static byte[] Layout(string json, byte[] data, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(json).ToList();
        while (pad && header.Count % 8 != 0) header.Add((byte)' ');
        var file = new List<byte>(BitConverter.GetBytes((ulong)header.Count));   // the test machine is little-endian
        file.AddRange(header);
        file.AddRange(data);
        return file.ToArray();
    }

    private static KeyValuePair<string, Tensor<T>> Entry<T>(string name, Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T> => new(name, t);

    [Test]
    public void FileIsByteExact()
    {
        string path = PathOf("tiny.safetensors");
        SafeTensors.Save(path,
            [Entry("b", Tensor.FromArray(new[] { 0.5f }, 1, 1)), Entry("a", Tensor.FromArray(new[] { 1f, -2f }))],
            new Dictionary<string, string> { ["format"] = "pt" });

        const string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}""";
        byte[] data =
        [
            0x00, 0x00, 0x80, 0x3F,   // 1.0f  = 0x3F800000
            0x00, 0x00, 0x00, 0xC0,   // -2.0f = 0xC0000000
            0x00, 0x00, 0x00, 0x3F,   // 0.5f  = 0x3F000000
        ];
        var expected = Layout(json, data);
        var actual = File.ReadAllBytes(path);
        Assert.That(Encoding.ASCII.GetString(actual, 8, actual.Length - 20), Is.EqualTo(Encoding.ASCII.GetString(expected, 8, expected.Length - 20)));
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That((8 + json.Length + 7) / 8 * 8, Is.EqualTo(actual.Length - data.Length), "header padded to a multiple of 8");
    }

    [Test]
    public void RoundTripFloatWithMetadata()
    {
        string path = PathOf("f32.safetensors");
        var w = Tensor.Normal<float>(new Shape(3, 4), 0, 1, new Rng(1));
        var b = Tensor.Normal<float>(new Shape(4), 0, 1, new Rng(2));
        var s = Tensor.Scalar(7f);
        var empty = Tensor.Zeros<float>(0, 3);
        var meta = new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "naïve \"quoted\" ✓" };
        SafeTensors.Save(path, [Entry("layer.weight", w), Entry("layer.bias", b), Entry("step", s), Entry("empty", empty)], meta);

        var loaded = SafeTensors.Load<float>(path, out var metadata);
        Assert.That(loaded.Keys, Is.EqualTo(new[] { "empty", "layer.bias", "layer.weight", "step" }));
        Assert.That(loaded["layer.weight"].Shape, Is.EqualTo(w.Shape));
        Assert.That(loaded["layer.weight"].ToArray(), Is.EqualTo(w.ToArray()));
        Assert.That(loaded["layer.bias"].ToArray(), Is.EqualTo(b.ToArray()));
        Assert.That(loaded["step"].Shape, Is.EqualTo(Shape.Scalar));
        Assert.That(loaded["step"].Item(), Is.EqualTo(7f));
        Assert.That(loaded["empty"].Shape, Is.EqualTo(new Shape(0, 3)));
        Assert.That(metadata, Is.EquivalentTo(meta));
    }

    [Test]
    public void RoundTripDoubleIsExact()
    {
        string path = PathOf("f64.safetensors");
        var t = Tensor.FromArray(new[] { Math.PI, -0.0, double.Epsilon, 1e308, double.NaN, double.NegativeInfinity }, 2, 3);
        SafeTensors.Save(path, [Entry("t", t)]);
        var header = SafeTensors.ReadHeader(path);
        Assert.That(header.Tensors.Single().DType, Is.EqualTo("F64"));
        Assert.That(header.Metadata, Is.Empty);
        var back = SafeTensors.Load<double>(path)["t"];
        Assert.That(back.ToArray().Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(t.ToArray().Select(BitConverter.DoubleToInt64Bits)));
    }

    [Test]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        string path = PathOf("model.safetensors");
        SafeTensors.Save(path, [Entry("x", Tensor.Ones<float>(100))]);
        SafeTensors.Save(path, [Entry("y", Tensor.Ones<float>(2))]);
        Assert.That(SafeTensors.Load<float>(path).Keys, Is.EqualTo(new[] { "y" }));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void SaveRejectsDuplicateAndReservedNames()
    {
        string path = PathOf("bad.safetensors");
        Assert.That(Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [Entry("a", Tensor.Ones<float>(1)), Entry("a", Tensor.Ones<float>(1))]))!.Message,
            Does.Contain("twice"));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [Entry("__metadata__", Tensor.Ones<float>(1))]));
        Assert.That(File.Exists(path), Is.False);
    }

    private void AssertRejected(string file, byte[] bytes, string reason)
    {
        string path = PathOf(file);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load<float>(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain(reason));
    }

    private static readonly byte[] TwoFloats = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40];
    private const string ValidJson = """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    [Test]
    public void HandBuiltValidFileLoads()
    {
        string path = PathOf("valid.safetensors");
        File.WriteAllBytes(path, Layout(ValidJson, TwoFloats));
        Assert.That(SafeTensors.Load<float>(path)["x"].ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void TruncatedDataIsRejected()
    {
        var bytes = Layout(ValidJson, TwoFloats);
        AssertRejected("truncated.safetensors", bytes[..^2], "truncated");
    }

    [Test]
    public void TruncatedHeaderIsRejected()
    {
        var bytes = Layout(ValidJson, TwoFloats);
        AssertRejected("cut-header.safetensors", bytes[..20], "goes beyond the end of the file");
        AssertRejected("tiny.safetensors", bytes[..5], "truncated");
    }

    [Test]
    public void CorruptedHeaderIsRejected()
    {
        var bytes = Layout(ValidJson, TwoFloats);
        bytes[8] = (byte)'X';   // the opening brace
        AssertRejected("corrupt.safetensors", bytes, "not valid JSON");
        AssertRejected("array.safetensors", Layout("[1,2]", []), "must be a JSON object");
    }

    [Test]
    public void OverlappingOffsetsAreRejected() =>
        AssertRejected("overlap.safetensors",
            Layout("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", TwoFloats[..6]),
            "overlap");

    [Test]
    public void GapsInOffsetsAreRejected() =>
        AssertRejected("gap.safetensors",
            Layout("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats),
            "gap");

    [Test]
    public void OffsetsBeyondTheFileAreRejected() =>
        AssertRejected("beyond.safetensors",
            Layout("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", TwoFloats),
            "truncated");

    [Test]
    public void ByteLengthMustMatchTheShape() =>
        AssertRejected("length.safetensors",
            Layout("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", TwoFloats),
            "needs 12");

    [Test]
    public void TrailingBytesAreRejected() =>
        AssertRejected("trailing.safetensors", [.. Layout(ValidJson, TwoFloats), 1, 2, 3], "3 trailing bytes");

    [Test]
    public void UnknownDtypeIsRejected() =>
        AssertRejected("dtype.safetensors",
            Layout("""{"x":{"dtype":"F99","shape":[2],"data_offsets":[0,8]}}""", TwoFloats),
            "unknown dtype 'F99'");

    [Test]
    public void DtypeOtherThanTheRequestedTypeIsNotConverted()
    {
        string path = PathOf("f32.safetensors");
        SafeTensors.Save(path, [Entry("x", Tensor.Ones<float>(2))]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load<double>(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("'x' has dtype F32 but F64").And.Contain("not converted"));
        AssertRejected("i32.safetensors", Layout("""{"x":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "dtype I32 but F32");
    }

    [Test]
    public void MalformedEntriesAreRejected()
    {
        AssertRejected("missing.safetensors", Layout("""{"x":{"dtype":"F32","shape":[2]}}""", TwoFloats), "needs");
        AssertRejected("negative.safetensors", Layout("""{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", TwoFloats), "non-negative");
        AssertRejected("extra.safetensors", Layout("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"y":1}}""", TwoFloats), "unexpected");
        AssertRejected("dup.safetensors", Layout(ValidJson[..^1] + "," + ValidJson[1..], TwoFloats), "twice");
        AssertRejected("meta.safetensors", Layout("""{"__metadata__":{"a":1},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats), "must be a string");
    }
}
