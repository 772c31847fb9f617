using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Autograd.Nn;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the start of the data section.</summary>
public sealed record SafeTensorInfo(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>Bytes of data (End − Begin).</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// The parsed, validated header of a safetensors file: tensor entries in data order (which is also the order
/// Save writes names in) and the optional "__metadata__" strings.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>The tensors, sorted by data offset.</summary>
    public required IReadOnlyList<SafeTensorInfo> Tensors { get; init; }

    /// <summary>The "__metadata__" map (empty when absent).</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>File offset of the data section: 8 + header length.</summary>
    public required long DataStart { get; init; }

    // Every dtype the format defines, with its size, so a file of another dtype is reported as "unsupported"
    // rather than "unknown".
    internal static readonly Dictionary<string, int> DTypeSizes = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>Largest header accepted (as the reference implementation): guards against a corrupt length field.</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads and validates the header at the start of <paramref name="stream"/>; <paramref name="path"/> names the file in errors.</summary>
    internal static SafeTensorsHeader Read(Stream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Error(path, $"the file is truncated: {fileLength} bytes, fewer than the 8-byte header length field");
        Span<byte> lengthField = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthField);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        if (headerLength > (ulong)(fileLength - 8))
            throw Error(path, $"the header length {headerLength} goes beyond the end of the file ({fileLength} bytes): the file is truncated or not a safetensors file");
        if (headerLength > MaxHeaderBytes)
            throw Error(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        if (!Utf8.IsValid(headerBytes))
            throw Error(path, $"the header is not valid UTF-8 (the first bad byte is at header offset {InvalidUtf8Offset(headerBytes)})");

        JsonDocument document;
        try { document = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw Error(path, $"the header is not valid JSON ({e.Message})"); }
        using (document)
        {
            try { return Validate(document.RootElement, fileLength, (long)headerLength, path); }
            catch (InvalidOperationException e)
            {
                // Valid UTF-8 can still spell an escaped lone surrogate ("\uD800"), which no .NET string can hold.
                throw Error(path, $"the header holds a name or string that is not valid Unicode, such as an escaped lone surrogate ({e.Message})");
            }
        }
    }

    private static SafeTensorsHeader Validate(JsonElement root, long fileLength, long headerLength, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Error(path, $"the header must be a JSON object, found {root.ValueKind}");
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>();
        var names = new HashSet<string>();
        foreach (var property in root.EnumerateObject())
        {
            if (!names.Add(property.Name))
                throw Error(path, $"the header names '{property.Name}' twice");
            if (property.Name == "__metadata__") ReadMetadata(property.Value, metadata, path);
            else tensors.Add(ReadEntry(property.Name, property.Value, path));
        }
        long dataStart = 8 + headerLength;
        CheckOffsets(tensors, fileLength - dataStart, path);
        return new SafeTensorsHeader { Tensors = tensors, Metadata = metadata, DataStart = dataStart };
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> into, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(path, $"\"__metadata__\" must be an object of strings, found {value.ValueKind}");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Error(path, $"metadata '{entry.Name}' must be a string, found {entry.Value.ValueKind}");
            if (!into.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Error(path, $"metadata '{entry.Name}' appears twice");
        }
    }

    private static SafeTensorInfo ReadEntry(string name, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(path, $"tensor '{name}': the entry must be an object, found {value.ValueKind}");
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null && field.Value.ValueKind == JsonValueKind.String:
                    dtype = field.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = Array.ConvertAll(ReadIntegers(field.Value, name, "shape", path), d =>
                        d <= int.MaxValue ? (int)d : throw Error(path, $"tensor '{name}': dimension {d} is too large"));
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(field.Value, name, "data_offsets", path);
                    if (offsets.Length != 2) throw Error(path, $"tensor '{name}': data_offsets must hold 2 numbers, found {offsets.Length}");
                    break;
                default:
                    throw Error(path, $"tensor '{name}': unexpected or repeated field '{field.Name}' ({field.Value.ValueKind})");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Error(path, $"tensor '{name}': the entry needs \"dtype\", \"shape\" and \"data_offsets\"");
        if (!DTypeSizes.TryGetValue(dtype, out int elementSize))
            throw Error(path, $"tensor '{name}': unknown dtype '{dtype}'");
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw Error(path, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        long count = 1;
        foreach (int d in shape) count = Math.Min(count * d, Array.MaxLength + 1L);   // saturating: a later 0 still gives 0
        if (count > Array.MaxLength)
            throw Error(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] has more elements than the {Array.MaxLength} an array can hold");
        if (end - begin != count * elementSize)
            throw Error(path, $"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {count * elementSize}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement value, string name, string field, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Error(path, $"tensor '{name}': {field} must be an array, found {value.ValueKind}");
        var result = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw Error(path, $"tensor '{name}': {field} must hold non-negative integers, found {item.GetRawText()}");
            result[i++] = v;
        }
        return result;
    }

    // The data section must be exactly the concatenation of the tensors: no gap, no overlap, nothing after.
    private static void CheckOffsets(List<SafeTensorInfo> tensors, long dataLength, string path)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var t in tensors)
        {
            if (t.Begin < expected)
                throw Error(path, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] overlap the previous tensor, which ends at {expected}");
            if (t.Begin > expected)
                throw Error(path, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] leave a gap after offset {expected}; offsets must be contiguous");
            expected = t.End;
        }
        if (expected > dataLength)
            throw Error(path, $"the file is truncated: the tensors need {expected} data bytes but only {dataLength} follow the header");
        if (expected < dataLength)
            throw Error(path, $"{dataLength - expected} trailing bytes follow the last tensor (data ends at {expected} of {dataLength})");
    }

    internal static InvalidDataException Error(string path, string message) => new($"SafeTensors '{path}': {message}.");

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }
}
