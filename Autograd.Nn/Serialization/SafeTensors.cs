using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autograd.Nn;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face), so weights move to and from PyTorch unchanged:
/// an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {…}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian tensor data, contiguous and in name order.
/// Loading is strict: any inconsistency is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class SafeTensors
{
    /// <summary>The safetensors dtype of <typeparamref name="T"/>: "F32" for float, "F64" for double.</summary>
    public static string DTypeOf<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? "F32" : typeof(T) == typeof(double) ? "F64"
        : throw new NotSupportedException($"SafeTensors: element type {typeof(T).Name} has no safetensors dtype here (float and double only).");

    /// <summary>
    /// Writes <paramref name="tensors"/> (sorted by name) and optional <paramref name="metadata"/> to <paramref name="path"/>
    /// atomically: into a temporary file in the same directory, then moved over <paramref name="path"/>, so a crash
    /// never leaves a half-written file under the final name.
    /// </summary>
    public static void Save<T>(string path, IEnumerable<KeyValuePair<string, Tensor<T>>> tensors, IDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = tensors.ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (int i = 0; i < entries.Count; i++)
        {
            var (name, t) = entries[i];
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"SafeTensors.Save '{path}': '{name}' is not a valid tensor name.");
            if (i > 0 && entries[i - 1].Key == name)
                throw new ArgumentException($"SafeTensors.Save '{path}': the name '{name}' is given twice.");
            ArgumentNullException.ThrowIfNull(t, $"tensors['{name}']");
            if (t.IsDisposed) throw new ObjectDisposedException($"SafeTensors.Save '{path}': tensor '{name}' is disposed.");
        }
        byte[] header = BuildHeader(entries, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> lengthField = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
            stream.Write(lengthField);
            stream.Write(header);
            foreach (var (_, t) in entries) WriteLittleEndian(stream, t.AsReadOnlySpan());
        });
    }

    private static byte[] BuildHeader<T>(List<KeyValuePair<string, Tensor<T>>> entries, IDictionary<string, string>? metadata)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var buffer = new MemoryStream();
        // Non-ASCII names stay raw UTF-8, as the reference (Rust) writer emits them.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value ?? throw new ArgumentException($"SafeTensors.Save: metadata '{key}' is null."));
                json.WriteEndObject();
            }
            string dtype = DTypeOf<T>();
            long offset = 0;
            foreach (var (name, t) in entries)
            {
                long end = offset + (long)t.Length * Unsafe.SizeOf<T>();
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (int d in t.Shape.Dimensions) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Reads and validates only the header of <paramref name="path"/> (names, dtypes, shapes, offsets, metadata).</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return SafeTensorsHeader.Read(stream, path);
    }

    /// <summary>Loads every tensor of <paramref name="path"/> in data order; all must have the dtype of <typeparamref name="T"/>.</summary>
    public static OrderedDictionary<string, Tensor<T>> Load<T>(string path) where T : unmanaged, IFloatingPointIeee754<T> =>
        Load<T>(path, out _);

    /// <summary>As <see cref="Load{T}(string)"/>, also returning the file's metadata.</summary>
    public static OrderedDictionary<string, Tensor<T>> Load<T>(string path, out IReadOnlyDictionary<string, string> metadata)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var stream = OpenRead(path);
        var header = SafeTensorsHeader.Read(stream, path);
        metadata = header.Metadata;
        return ReadTensors<T>(stream, header, path);
    }

    /// <summary>Reads the data of every tensor of a validated header, after checking that all dtypes match T.</summary>
    internal static OrderedDictionary<string, Tensor<T>> ReadTensors<T>(Stream stream, SafeTensorsHeader header, string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string wanted = DTypeOf<T>();
        foreach (var info in header.Tensors)
        {
            if (info.DType != wanted)
                throw SafeTensorsHeader.Error(path, $"tensor '{info.Name}' has dtype {info.DType} but {wanted} ({typeof(T).Name}) was requested; " +
                    "tensors are not converted silently: load with the file's element type and convert explicitly");
            if (info.Shape.Length > Shape.MaxRank)
                throw SafeTensorsHeader.Error(path, $"tensor '{info.Name}' has rank {info.Shape.Length}, above the maximum rank {Shape.MaxRank}");
        }
        var result = new OrderedDictionary<string, Tensor<T>>(header.Tensors.Count);
        foreach (var info in header.Tensors)
        {
            var shape = new Shape(info.Shape);
            var tensor = new Tensor<T>(new T[shape.Length], shape);
            stream.Position = header.DataStart + info.Begin;
            ReadLittleEndian(stream, tensor.AsSpan(), path);
            result.Add(info.Name, tensor);
        }
        return result;
    }

    internal static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static void WriteLittleEndian<T>(Stream stream, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(values)); return; }
        int size = Unsafe.SizeOf<T>();
        var element = new byte[size];
        foreach (var v in values)
        {
            MemoryMarshal.Write(element, in v);
            element.AsSpan().Reverse();
            stream.Write(element);
        }
    }

    private static void ReadLittleEndian<T>(Stream stream, Span<T> destination, string path) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw SafeTensorsHeader.Error(path, "the file ended while reading tensor data (it changed while being read?)"); }
        if (BitConverter.IsLittleEndian) return;
        int size = Unsafe.SizeOf<T>();
        for (int i = 0; i < bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }
}
