using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        var entries = new List<SafeTensorsEntry>();
        foreach (var (name, t) in tensors) entries.Add(SafeTensorsEntry.Of(name, t, path));
        SafeTensorsWriter.Write(path, entries, metadata);
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

    internal static void ReadLittleEndian<T>(Stream stream, Span<T> destination, string path) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw SafeTensorsHeader.Error(path, "the file ended while reading tensor data (it changed while being read?)"); }
        if (BitConverter.IsLittleEndian) return;
        int size = Unsafe.SizeOf<T>();
        for (int i = 0; i < bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }
}
