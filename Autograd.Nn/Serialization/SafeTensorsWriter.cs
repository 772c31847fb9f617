using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autograd.Nn;

/// <summary>
/// One tensor to write: its name, safetensors dtype and dimensions, and how to stream its little-endian bytes.
/// Entries of different dtypes share one file (a module's F32 weights beside its I64 counters).
/// </summary>
internal sealed record SafeTensorsEntry(string Name, string DType, Shape Shape, long ByteLength, Action<Stream> WriteData)
{
    /// <summary>A tensor of T (F32 or F64), written from its storage when the file is written.</summary>
    public static SafeTensorsEntry Of<T>(string name, Tensor<T> tensor, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor, $"tensors['{name}']");
        if (tensor.IsDisposed) throw new ObjectDisposedException($"SafeTensors.Save '{path}': tensor '{name}' is disposed.");
        return new(name, SafeTensors.DTypeOf<T>(), tensor.Shape, (long)tensor.Length * Unsafe.SizeOf<T>(),
            stream => SafeTensorsWriter.WriteLittleEndian(stream, tensor.AsReadOnlySpan()));
    }

    /// <summary>An array viewed as <paramref name="shape"/> (optimizer state, integer buffers), written when the file is written.</summary>
    public static SafeTensorsEntry Of<TElement>(string name, TElement[] values, Shape shape) where TElement : unmanaged
    {
        if (values.Length != shape.Length)
            throw new ArgumentException($"SafeTensors.Save: '{name}' holds {values.Length} values but its shape {shape} needs {shape.Length}.");
        return new(name, SafeTensorsWriter.DTypeOfElement<TElement>(), shape, (long)values.Length * Unsafe.SizeOf<TElement>(),
            stream => SafeTensorsWriter.WriteLittleEndian<TElement>(stream, values));
    }
}

/// <summary>Writes a safetensors file from entries of any supported dtype (the format itself is described on <see cref="SafeTensors"/>).</summary>
internal static class SafeTensorsWriter
{
    /// <summary>The safetensors dtype of an element type: F32, F64 or I64.</summary>
    public static string DTypeOfElement<TElement>() where TElement : unmanaged =>
        typeof(TElement) == typeof(float) ? "F32" : typeof(TElement) == typeof(double) ? "F64" : typeof(TElement) == typeof(long) ? "I64"
        : throw new NotSupportedException($"SafeTensors: element type {typeof(TElement).Name} has no safetensors dtype here (float, double and long only).");

    /// <summary>
    /// Writes <paramref name="entries"/> (sorted by name) and optional <paramref name="metadata"/> to <paramref name="path"/>
    /// atomically (see <see cref="AtomicFile"/>).
    /// </summary>
    public static void Write(string path, List<SafeTensorsEntry> entries, IDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 0; i < entries.Count; i++)
        {
            string name = entries[i].Name;
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"SafeTensors.Save '{path}': '{name}' is not a valid tensor name.");
            if (i > 0 && entries[i - 1].Name == name)
                throw new ArgumentException($"SafeTensors.Save '{path}': the name '{name}' is given twice.");
        }
        byte[] header = BuildHeader(entries, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> lengthField = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
            stream.Write(lengthField);
            stream.Write(header);
            foreach (var entry in entries) entry.WriteData(stream);
        });
    }

    private static byte[] BuildHeader(List<SafeTensorsEntry> entries, IDictionary<string, string>? metadata)
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
            long offset = 0;
            foreach (var entry in entries)
            {
                long end = offset + entry.ByteLength;
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (int d in entry.Shape.Dimensions) json.WriteNumberValue(d);
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

    internal static void WriteLittleEndian<TElement>(Stream stream, ReadOnlySpan<TElement> values) where TElement : unmanaged
    {
        if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(values)); return; }
        int size = Unsafe.SizeOf<TElement>();
        var element = new byte[size];
        foreach (var v in values)
        {
            MemoryMarshal.Write(element, in v);
            element.AsSpan().Reverse();
            stream.Write(element);
        }
    }
}
