using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Autograd.Nn;
using Autograd.Nn.Data;
using Autograd.Tests.Data;

namespace Autograd.Tests.Hardening;

/// <summary>
/// A seeded mutation fuzzer for the file readers: safetensors (plain loads, Module.Load and Checkpoint.Load), IDX (raw and
/// gzip, from a path and from a non-seekable stream) and CIFAR-10. Each mutated file either loads, or fails with an <see cref="InvalidDataException"/> whose message
/// names the file; no other exception type escapes. Every load is also held to an allocation bound:
/// <c>allocated ≤ 8 × file size + 4 × inflated + 1 MiB</c>, where inflated is what gunzip yields from the file (0 when it
/// is not gzip), so no header field, gzip trailer or dimension product can size an allocation beyond the bytes present.
/// </summary>
/// <remarks>
/// A plain seeded generator rather than CsCheck or FsCheck: the mutations are format-aware (truncate at each header
/// length, rewrite one length field, rebuild the JSON header with bad offsets), which a property library would not
/// generate for us; the oracle is the same for every input; and each failure prints its own minimal description
/// (seed, strategy, offsets), so shrinking would add little. The same seed gives the same mutations on every machine.
/// </remarks>
public class ReaderFuzzTests
{
    private const long AllocationSlack = 1 << 20;
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    // ---- the oracle

    private sealed class Findings
    {
        private readonly StringBuilder _failures = new();
        private int _count;
        public int Loads, Loaded;

        public void Fail(string what)
        {
            if (_count++ < 25) _failures.AppendLine(what);
        }

        public void AssertClean(string reader)
        {
            Assert.That(_count, Is.Zero, $"{reader}: {_count} of {Loads} loads misbehaved ({Loaded} loaded); first ones:\n{_failures}");
            TestContext.Out.WriteLine($"{reader}: {Loads} loads, {Loaded} loaded, {Loads - Loaded} rejected with a named InvalidDataException.");
        }
    }

    // Runs one load of a mutated file: it must work or throw InvalidDataException naming `name`, within the allocation bound.
    private static void Probe(Findings findings, string what, byte[] file, string name, Action load)
    {
        findings.Loads++;
        long bound = 8L * file.Length + 4 * Inflated(file) + AllocationSlack;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = null;
        try { load(); }
        catch (Exception e) { error = e; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > bound) findings.Fail($"{what}: allocated {allocated} bytes, above the bound {bound} for a {file.Length}-byte file");
        if (error is null) { findings.Loaded++; return; }
        if (error is not InvalidDataException)
            findings.Fail($"{what}: {error.GetType().Name}: {error.Message}");
        else if (!error.Message.Contains(name, StringComparison.Ordinal))
            findings.Fail($"{what}: the message does not name '{name}': {error.Message}");
    }

    // Bytes gunzip yields from the file before it ends or fails (0 for a file that is not gzip), counted without keeping them.
    private static long Inflated(byte[] file)
    {
        if (!IdxReader.IsGzip(file)) return 0;
        long total = 0;
        try
        {
            using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            var sink = new byte[1 << 16];
            int n;
            while ((n = gz.Read(sink)) > 0 && total < 1L << 32) total += n;
        }
        catch (InvalidDataException) { }
        return total;
    }

    private string Write(byte[] bytes)
    {
        string path = _dir.File("fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---- generic mutations

    private static byte[] FlipBytes(byte[] seed, Rng rng, int hotPrefix, out string what)
    {
        var bytes = (byte[])seed.Clone();
        int flips = 1 + rng.NextInt(4);
        var sb = new StringBuilder("flip");
        for (int i = 0; i < flips; i++)
        {
            // Most flips land in the header, where they change how the rest is read.
            int at = rng.NextDouble() < 0.7 ? rng.NextInt(Math.Min(hotPrefix, bytes.Length)) : rng.NextInt(bytes.Length);
            byte mask = (byte)(1 + rng.NextInt(255));
            bytes[at] ^= mask;
            sb.Append($" [{at}]^0x{mask:X2}");
        }
        what = sb.ToString();
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    // ---- safetensors

    private sealed record TensorSpec(string Name, string DType, string Shape, string Offsets);

    private static byte[] SafeTensorsFile(string json, int dataBytes) => SafeTensorsFile(Encoding.UTF8.GetBytes(json), dataBytes);

    /// <summary>The 8-byte length, the header padded with spaces to a multiple of 8, then <paramref name="dataBytes"/> bytes of data.</summary>
    internal static byte[] SafeTensorsFile(byte[] header, int dataBytes)
    {
        int padded = (header.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        for (int i = 0; i < dataBytes; i++) file[8 + padded + i] = (byte)(i * 37 + 11);
        return file;
    }

    private static string Json(IEnumerable<TensorSpec> tensors, string? metadata = """{"format":"pt"}""")
    {
        var parts = new List<string>();
        if (metadata is not null) parts.Add($"\"__metadata__\":{metadata}");
        parts.AddRange(tensors.Select(t => $"\"{t.Name}\":{{\"dtype\":{t.DType},\"shape\":{t.Shape},\"data_offsets\":{t.Offsets}}}"));
        return "{" + string.Join(",", parts) + "}";
    }

    // Three F32 tensors, [2, 3], [4] and the empty [0, 2]: 40 data bytes.
    private static readonly TensorSpec[] SeedTensors =
    [
        new("a", "\"F32\"", "[2,3]", "[0,24]"),
        new("b", "\"F32\"", "[4]", "[24,40]"),
        new("c", "\"F32\"", "[0,2]", "[40,40]"),
    ];

    private static IEnumerable<(string What, byte[] File)> SafeTensorsMutations()
    {
        var rng = new Rng(20261201);
        string seedJson = Json(SeedTensors);
        var seed = SafeTensorsFile(seedJson, 40);
        int headerEnd = seed.Length - 40;
        yield return ("the seed file", seed);

        for (int i = 0; i < 150; i++)
        {
            var bytes = FlipBytes(seed, rng, headerEnd, out string what);
            yield return ($"byte flips #{i}: {what}", bytes);
        }
        for (int length = 0; length <= headerEnd + 8; length++)
            yield return ($"truncated to {length} bytes", seed[..length]);
        for (int length = 0; length <= headerEnd; length += 3)
        {
            var bytes = (byte[])seed.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
            yield return ($"header length field {length}", bytes);
        }
        foreach (ulong huge in new[] { ulong.MaxValue, 1UL << 63, (ulong)long.MaxValue, uint.MaxValue, int.MaxValue + 1UL, 100_000_001UL, (ulong)seed.Length, (ulong)seed.Length - 7 })
        {
            var bytes = (byte[])seed.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, huge);
            yield return ($"header length field {huge}", bytes);
        }

        // Offsets: overlapping, out of range, reversed, gaps, huge, not integers.
        string[] offsetValues = ["0", "8", "16", "24", "40", "41", "1000", "-1", "9223372036854775807", "18446744073709551615", "1e3", "2.5", "\"24\"", "null"];
        for (int i = 0; i < 120; i++)
        {
            var tensors = SeedTensors.Select(t => rng.NextDouble() < 0.5 ? t
                : t with { Offsets = $"[{offsetValues[rng.NextInt(offsetValues.Length)]},{offsetValues[rng.NextInt(offsetValues.Length)]}]" }).ToArray();
            string json = Json(tensors);
            yield return ($"offsets {string.Join(" ", tensors.Select(t => t.Name + t.Offsets))}", SafeTensorsFile(json, 40));
        }
        yield return ("overlapping tensors", SafeTensorsFile(Json([SeedTensors[0], SeedTensors[1] with { Offsets = "[16,32]" }, SeedTensors[2] with { Offsets = "[32,40]" }]), 40));
        yield return ("offsets past the file", SafeTensorsFile(Json([SeedTensors[0], SeedTensors[1] with { Offsets = "[24,4000]" }]), 40));

        // Shapes: huge, negative, fractional, deep, and products past Array.MaxLength that still match the offsets' size.
        string[] dims = ["0", "1", "2", "3", "4", "-1", "2147483647", "2147483648", "4294967296", "10000000000", "2.5", "\"3\"", "46341", "65536"];
        for (int i = 0; i < 80; i++)
        {
            int rank = rng.NextInt(11);
            string shape = "[" + string.Join(",", Enumerable.Range(0, rank).Select(_ => dims[rng.NextInt(dims.Length)])) + "]";
            yield return ($"tensor a of shape {shape}", SafeTensorsFile(Json([SeedTensors[0] with { Shape = shape }, SeedTensors[1], SeedTensors[2]]), 40));
        }
        yield return ("F32 [2147483600] (past Array.MaxLength), offsets consistent",
            SafeTensorsFile(Json([new TensorSpec("big", "\"F32\"", "[2147483600]", "[0,8589934400]")]), 0));

        // Names: duplicates and invalid text.
        yield return ("a tensor named twice", SafeTensorsFile(Json([SeedTensors[0], SeedTensors[0] with { Offsets = "[24,48]" }]), 48));
        yield return ("__metadata__ twice", SafeTensorsFile("""{"__metadata__":{},"__metadata__":{},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
        yield return ("a metadata key twice", SafeTensorsFile("""{"__metadata__":{"k":"1","k":"2"}}""", 0));
        yield return ("metadata that is not a string", SafeTensorsFile("""{"__metadata__":{"k":1}}""", 0));
        yield return ("a field twice", SafeTensorsFile("""{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
        byte[][] badText =
        [
            [0xFF], [0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
            "\\uD800"u8.ToArray(), "\\uDC00"u8.ToArray(), "\\uD800\\u0041"u8.ToArray(), "\\u0000"u8.ToArray(), "\\x41"u8.ToArray(),
            "é"u8.ToArray(), "\\u00e9"u8.ToArray(), "\\ud83d\\ude00"u8.ToArray(), [0x01],
        ];
        foreach (var text in badText)
            foreach (string where in new[] { "name", "metadata key", "metadata value", "dtype" })
            {
                string marker = "\u0001MARK\u0001";
                string json = where switch
                {
                    "name" => Json([SeedTensors[0] with { Name = "t" + marker }, SeedTensors[1], SeedTensors[2]]),
                    "metadata key" => Json(SeedTensors, $"{{\"{marker}\":\"v\"}}"),
                    "metadata value" => Json(SeedTensors, $"{{\"k\":\"{marker}\"}}"),
                    _ => Json([SeedTensors[0] with { DType = $"\"F{marker}\"" }, SeedTensors[1], SeedTensors[2]]),
                };
                var utf8 = Encoding.UTF8.GetBytes(json);
                var m = Encoding.UTF8.GetBytes(marker);
                int at = utf8.AsSpan().IndexOf(m);
                var header = Concat(utf8[..at], text, utf8[(at + m.Length)..]);
                yield return ($"{Convert.ToHexString(text)} in the {where}", SafeTensorsFile(header, 40));
            }

        // dtypes and entry kinds.
        foreach (string dtype in new[] { "\"F16\"", "\"F64\"", "\"BF16\"", "\"I64\"", "\"X\"", "\"\"", "5", "null", "[\"F32\"]" })
            yield return ($"dtype {dtype}", SafeTensorsFile(Json([SeedTensors[0] with { DType = dtype }, SeedTensors[1], SeedTensors[2]]), 40));
        foreach (string json in new[] { "[]", "null", "1", "\"x\"", "{\"a\":[]}", "{\"a\":{}}", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "{}", "" })
            yield return ($"header {json}", SafeTensorsFile(json, 0));
        yield return ("header nested 1000 deep", SafeTensorsFile(new string('[', 1000) + new string(']', 1000), 0));

        // JSON damage: one character of the header replaced.
        const string alphabet = "{}[],:\"0123456789-.eE \\aFn";
        for (int i = 0; i < 120; i++)
        {
            var chars = seedJson.ToCharArray();
            int at = rng.NextInt(chars.Length);
            char c = alphabet[rng.NextInt(alphabet.Length)];
            string was = chars[at].ToString();
            chars[at] = c;
            yield return ($"header char {at} '{was}' → '{c}'", SafeTensorsFile(new string(chars), 40));
        }
    }

    [Test]
    public void SafeTensorsMutationsLoadOrNameTheFile()
    {
        var findings = new Findings();
        foreach (var (what, bytes) in SafeTensorsMutations())
        {
            string path = Write(bytes);
            Probe(findings, $"{what} (Load<float>)", bytes, path, () => SafeTensors.Load<float>(path));
            Probe(findings, $"{what} (ReadHeader)", bytes, path, () => SafeTensors.ReadHeader(path));
            Probe(findings, $"{what} (Module.Load)", bytes, path, () => new ThreeTensors().Load(path));
            File.Delete(path);
        }
        Assert.That(findings.Loaded, Is.GreaterThan(0), "the seed file itself must load");
        findings.AssertClean("safetensors");
    }

    // A module whose parameters are the seed file's tensors, so Module.Load's matching runs on every mutation.
    private sealed class ThreeTensors : Module<float>
    {
        public ThreeTensors()
        {
            RegisterParameter("a", Tensor.Zeros<float>(2, 3));
            RegisterParameter("b", Tensor.Zeros<float>(4));
            RegisterParameter("c", Tensor.Zeros<float>(0, 2));
        }

        public override Tensor<float> Forward(Tensor<float> x) => x;
    }

    // ---- checkpoints: the same format, with metadata that Checkpoint.Load parses (settings, positions, generator states)

    private sealed record CheckpointRun(Sequential<float> Model, Adam<float> Optimizer, StepLr Scheduler, Rng Dropout)
    {
        public static CheckpointRun New()
        {
            var rng = new Rng(5);
            var model = new Sequential<float>(new Linear<float>(3, 4, rng: rng), new Linear<float>(4, 2, rng: rng));
            var parameters = model.Parameters();
            var optimizer = new Adam<float>([new ParamGroup<float>(parameters.Take(2), lr: 0.01), new ParamGroup<float>(parameters.Skip(2))], lr: 0.02);
            return new CheckpointRun(model, optimizer, new StepLr(optimizer, stepSize: 1, gamma: 0.5), new Rng(6));
        }

        public Dictionary<string, Rng> Generators => new() { ["dropout"] = Dropout };
    }

    private static byte[] SeedCheckpoint(string path)
    {
        var run = CheckpointRun.New();
        var x = Tensor.Normal<float>(new Shape(5, 3), 0, 1, new Rng(8));
        for (int i = 0; i < 2; i++)
        {
            run.Optimizer.ZeroGrad();
            run.Model.Forward(x).Square().Sum().Backward();
            run.Optimizer.Step();
        }
        run.Scheduler.Step();
        Checkpoint.Save(path, run.Model, run.Optimizer, run.Scheduler, new TrainingPosition(1, 2), run.Generators);
        return File.ReadAllBytes(path);
    }

    // The seed with its header rebuilt by `change` (the data section is kept, so offsets stay valid).
    private static byte[] WithHeader(byte[] file, Action<System.Text.Json.Nodes.JsonObject> change)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = System.Text.Json.Nodes.JsonNode.Parse(file.AsSpan(8, headerLength))!.AsObject();
        change(header);
        return SafeTensorsFile(Encoding.UTF8.GetBytes(header.ToJsonString()), 0).Concat(file[(8 + headerLength)..]).ToArray();
    }

    private static IEnumerable<(string What, byte[] File)> CheckpointMutations(byte[] seed)
    {
        var rng = new Rng(20261204);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(seed);
        yield return ("the seed checkpoint", seed);
        for (int i = 0; i < 80; i++)
        {
            var bytes = FlipBytes(seed, rng, headerEnd, out string what);
            yield return ($"byte flips #{i}: {what}", bytes);
        }
        string[] garbage = ["", "x", "-1", "0", "1e400", "NaN", "-Infinity", "99999999999999999999", "2147483648", "[1,2]", "{\"a\":1}", "null",
                            "0x10", " 1", "1.5", new string('9', 400), "\u0000", "sgd", "adam", "[]", "{}", "[0.5]", "[\"a\"]"];
        var keys = System.Text.Json.Nodes.JsonNode.Parse(seed.AsSpan(8, headerEnd - 8))!["__metadata__"]!.AsObject().Select(kv => kv.Key).ToArray();
        for (int i = 0; i < 150; i++)
        {
            string key = keys[rng.NextInt(keys.Length)], value = garbage[rng.NextInt(garbage.Length)];
            yield return ($"metadata '{key}' = '{value}'", WithHeader(seed, h => h["__metadata__"]![key] = value));
        }
        foreach (string key in keys)
            yield return ($"metadata '{key}' removed", WithHeader(seed, h => h["__metadata__"]!.AsObject().Remove(key)));
        var tensors = System.Text.Json.Nodes.JsonNode.Parse(seed.AsSpan(8, headerEnd - 8))!.AsObject().Select(kv => kv.Key).Where(k => k != "__metadata__").ToArray();
        foreach (string name in tensors)
            yield return ($"tensor '{name}' renamed", WithHeader(seed, h =>
            {
                var entry = h[name]!;
                h.Remove(name);
                h[name + ".x"] = entry;
            }));
    }

    [Test]
    public void CheckpointMutationsLoadOrNameTheFile()
    {
        var findings = new Findings();
        var seed = SeedCheckpoint(_dir.File("seed.safetensors"));
        foreach (var (what, bytes) in CheckpointMutations(seed))
        {
            string path = Write(bytes);
            var run = CheckpointRun.New();
            Probe(findings, $"{what} (Checkpoint.Load)", bytes, path, () => Checkpoint.Load(path, run.Model, run.Optimizer, run.Scheduler, run.Generators));
            Probe(findings, $"{what} (Checkpoint.Load, model only)", bytes, path, () => Checkpoint.Load(path, CheckpointRun.New().Model));
            File.Delete(path);
        }
        Assert.That(findings.Loaded, Is.GreaterThan(0), "the seed checkpoint itself must load");
        findings.AssertClean("checkpoints");
    }

    // ---- IDX

    private static byte[] WithGzipTrailer(byte[] gz, uint? crc = null, uint? size = null)
    {
        var bytes = (byte[])gz.Clone();
        if (crc is { } c) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), c);
        if (size is { } s) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), s);
        return bytes;
    }

    private static IEnumerable<(string What, byte[] File, bool Images)> IdxMutations()
    {
        var rng = new Rng(20261202);
        var images = DataTestFiles.Images(5, rows: 4, cols: 3);
        var rawImages = DataTestFiles.RawIdx(IdxReader.ImagesMagic, [5, 4, 3], images.Pixels);
        var rawLabels = DataTestFiles.RawIdx(IdxReader.LabelsMagic, [7], DataTestFiles.Labels(7));
        foreach (var (kind, raw, isImages) in new[] { ("images", rawImages, true), ("labels", rawLabels, false) })
        {
            var gz = DataTestFiles.Gzip(raw);
            int header = isImages ? 16 : 8;
            yield return ($"{kind}: the raw seed", raw, isImages);
            yield return ($"{kind}: the gzip seed", gz, isImages);
            for (int i = 0; i < 60; i++)
            {
                var bytes = FlipBytes(raw, rng, header, out string what);
                yield return ($"{kind} raw, byte flips #{i}: {what}", bytes, isImages);
                bytes = FlipBytes(gz, rng, gz.Length, out what);
                yield return ($"{kind} gzip, byte flips #{i}: {what}", bytes, isImages);
            }
            for (int length = 0; length < raw.Length; length++)
                yield return ($"{kind} raw truncated to {length}", raw[..length], isImages);
            for (int length = 0; length < gz.Length; length++)
                yield return ($"{kind} gzip truncated to {length}", gz[..length], isImages);
            for (int i = 0; i < 40; i++)
            {
                var bytes = (byte[])raw.Clone();
                int[] candidates = [0, 1, 3, 4, 5, 7, 46340, 65536, int.MaxValue, -1, int.MinValue, 1 << 30];
                for (int d = 4; d < header; d += 4) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(d), candidates[rng.NextInt(candidates.Length)]);
                string dimsText = string.Join(", ", Enumerable.Range(0, (header - 4) / 4).Select(d => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d))));
                yield return ($"{kind} raw with dims [{dimsText}]", bytes, isImages);
                var compressed = DataTestFiles.Gzip(bytes);
                yield return ($"{kind} gzip with dims [{dimsText}]", compressed, isImages);
                yield return ($"{kind} gzip with dims [{dimsText}] and ISIZE FFFFFFFF", WithGzipTrailer(compressed, size: uint.MaxValue), isImages);
            }
            for (int i = 0; i < 20; i++)
            {
                var bytes = (byte[])raw.Clone();
                int magic = i < 8 ? (int)rng.NextUInt64() : (0x08 + (i % 7)) << 8 | rng.NextInt(5);
                BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
                yield return ($"{kind} raw with magic 0x{magic:X8}", bytes, isImages);
            }
            foreach (int extra in new[] { 1, 7, 100 })
            {
                yield return ($"{kind} raw + {extra} trailing bytes", Concat(raw, new byte[extra]), isImages);
                yield return ($"{kind} gzip of raw + {extra} trailing bytes", DataTestFiles.Gzip(Concat(raw, new byte[extra])), isImages);
                yield return ($"{kind} gzip + {extra} bytes after the member", Concat(gz, new byte[extra]), isImages);
            }
            yield return ($"{kind} two gzip members", Concat(gz, gz), isImages);
            foreach (uint size in new[] { 0u, 1u, (uint)raw.Length - 1, (uint)raw.Length + 1, uint.MaxValue, 0x80000000u })
                yield return ($"{kind} gzip with ISIZE {size}", WithGzipTrailer(gz, size: size), isImages);
            for (int i = 0; i < 5; i++)
                yield return ($"{kind} gzip with a wrong CRC #{i}", WithGzipTrailer(gz, crc: (uint)rng.NextUInt64()), isImages);
        }
        // Item 1 of the hardening issue: 35 bytes that claim 46340² pixels, with ISIZE forged to the maximum.
        yield return ("images gzip bomb [1, 46340, 46340], ISIZE FFFFFFFF",
            WithGzipTrailer(DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.ImagesMagic, [1, 46340, 46340], [])), size: uint.MaxValue), true);
        yield return ("labels gzip bomb [2147483591], ISIZE FFFFFFFF",
            WithGzipTrailer(DataTestFiles.Gzip(DataTestFiles.RawIdx(IdxReader.LabelsMagic, [Array.MaxLength], [])), size: uint.MaxValue), false);
    }

    [Test]
    public void IdxMutationsLoadOrNameTheFile()
    {
        var findings = new Findings();
        foreach (var (what, bytes, images) in IdxMutations())
        {
            string path = Write(bytes);
            const string streamName = "fuzzed-stream";
            if (images)
            {
                Probe(findings, $"{what} (path)", bytes, path, () => IdxReader.ReadImages(path));
                Probe(findings, $"{what} (non-seekable stream)", bytes, streamName, () => IdxReader.ReadImages(new OneWayStream(bytes), streamName));
            }
            else
            {
                Probe(findings, $"{what} (path)", bytes, path, () => IdxReader.ReadLabels(path));
                Probe(findings, $"{what} (non-seekable stream)", bytes, streamName, () => IdxReader.ReadLabels(new OneWayStream(bytes), streamName, classCount: 10));
            }
            File.Delete(path);
        }
        Assert.That(findings.Loaded, Is.GreaterThan(0), "the seed files themselves must load");
        findings.AssertClean("IDX");
    }

    // ---- CIFAR-10

    private static IEnumerable<(string What, byte[] File)> CifarMutations()
    {
        var rng = new Rng(20261203);
        const int Record = Cifar10Reader.RecordSize;
        var seed = DataTestFiles.CifarRecords(3);
        yield return ("the seed file", seed);
        for (int i = 0; i < 100; i++)
        {
            var bytes = FlipBytes(seed, rng, seed.Length, out string what);
            yield return ($"byte flips #{i}: {what}", bytes);
        }
        for (int i = 0; i < 60; i++)
        {
            var bytes = (byte[])seed.Clone();
            int record = rng.NextInt(3);
            byte label = (byte)rng.NextInt(256);
            bytes[record * Record] = label;
            yield return ($"record {record} labelled {label}", bytes);
        }
        var lengths = Enumerable.Range(0, 24)
            .Concat(new[] { Record, 2 * Record, 3 * Record }.SelectMany(b => new[] { b - 2, b - 1, b + 1, b + 2 }))
            .Concat(Enumerable.Range(0, 40).Select(_ => rng.NextInt(seed.Length)));
        foreach (int length in lengths.Where(l => l <= seed.Length).Distinct())
            yield return ($"truncated to {length}", seed[..length]);
        foreach (int extra in new[] { 1, 3072, Record, Record + 1 })
            yield return ($"{extra} bytes appended", Concat(seed, new byte[extra]));
    }

    [Test]
    public void Cifar10MutationsLoadOrNameTheFile()
    {
        var findings = new Findings();
        foreach (var (what, bytes) in CifarMutations())
        {
            string path = Write(bytes);
            Probe(findings, what, bytes, path, () => Cifar10Reader.ReadBatch(path));
            File.Delete(path);
        }
        Assert.That(findings.Loaded, Is.GreaterThan(0), "the seed file itself must load");
        findings.AssertClean("CIFAR-10");
    }
}

/// <summary>A stream that can only be read forwards, like a pipe or a network response.</summary>
internal sealed class OneWayStream(byte[] data) : MemoryStream(data)
{
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
}
