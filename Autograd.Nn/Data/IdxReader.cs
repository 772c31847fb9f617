using System.Buffers.Binary;
using System.IO.Compression;

namespace Autograd.Nn.Data;

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST / Fashion-MNIST / KMNIST format), raw or gzip-compressed.
/// Compression is recognised by the gzip magic bytes 1f 8b, whatever the file name. Every problem is an
/// <see cref="InvalidDataException"/> whose message names the file.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of a label file: unsigned bytes, 1 dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Magic number of an image file: unsigned bytes, 3 dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    internal const byte UnsignedByteType = 0x08;

    /// <summary>Reads an image file (magic 0x00000803: count, rows, cols, then the pixels).</summary>
    public static IdxImages ReadImages(string path)
    {
        using var file = OpenFile(path);
        return ReadImages(file, path);
    }

    /// <summary>Reads an image file from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        var (dims, payload) = Read(stream, name, dimensionCount: 3, "an image file (count, rows, cols)");
        if (dims[1] == 0 || dims[2] == 0)
            throw Error(name, $"image size {dims[1]}×{dims[2]} has a zero side.");
        return new IdxImages(dims[0], dims[1], dims[2], payload);
    }

    /// <summary>Reads a label file (magic 0x00000801) and checks every label is below <paramref name="classCount"/>.</summary>
    public static byte[] ReadLabels(string path, int classCount = 10)
    {
        using var file = OpenFile(path);
        return ReadLabels(file, path, classCount);
    }

    /// <summary>Reads a label file from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static byte[] ReadLabels(Stream stream, string name, int classCount = 10)
    {
        if (classCount is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(classCount), $"IdxReader: class count {classCount} must be in 1..256.");
        var (_, labels) = Read(stream, name, dimensionCount: 1, "a label file (count)");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classCount)
                throw Error(name, $"label {labels[i]} at index {i} is outside 0..{classCount - 1}.");
        return labels;
    }

    /// <summary>True when <paramref name="firstBytes"/> start with the gzip magic 1f 8b.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> firstBytes) => firstBytes.Length >= 2 && firstBytes[0] == 0x1f && firstBytes[1] == 0x8b;

    private static FileStream OpenFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return InputFile.Open(path, "IDX file");
    }

    private static (int[] Dims, byte[] Payload) Read(Stream stream, string name, int dimensionCount, string what)
    {
        ArgumentNullException.ThrowIfNull(stream);
        GzipCheck? gzip = null;
        int[]? dims = null;
        long needed = -1;   // header and payload bytes, once the header is read
        try
        {
            using var source = Decompressed(stream, out var gzipTrailer, out long? totalBytes, out long storedBytes);
            gzip = source as GzipCheck;
            string form = gzip is not null ? " (after gunzip)" : "";
            Span<byte> head = stackalloc byte[4];
            int got = ReadFully(source, head);
            if (got < 4) throw Error(name, $"{got} byte(s){form}: too short for the 4-byte IDX magic number.");
            int magic = BinaryPrimitives.ReadInt32BigEndian(head);
            CheckMagic(name, magic, dimensionCount, what);

            dims = new int[dimensionCount];
            Span<byte> dimBytes = stackalloc byte[4 * dimensionCount];
            got = ReadFully(source, dimBytes);
            if (got < dimBytes.Length)
                throw Error(name, $"ends inside the header{form}: {dimensionCount} dimension sizes need {dimBytes.Length} bytes, found {got}.");
            long payloadLength = 1;
            for (int i = 0; i < dimensionCount; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes[(4 * i)..]);
                if (dims[i] < 0) throw Error(name, $"dimension {i} has negative size {dims[i]}.");
                payloadLength *= dims[i];
                if (payloadLength > Array.MaxLength)
                    throw Error(name, $"dimensions [{string.Join(", ", dims[..(i + 1)])}] exceed the largest array .NET can hold.");
            }
            needed = 4 + dimBytes.Length + payloadLength;

            // A damaged header can claim gigabytes: compare with the size the container knows before allocating.
            long available = (totalBytes ?? long.MaxValue) - 4 - dimBytes.Length;
            if (payloadLength > available)
                throw Error(name, $"truncated{form}: header [{string.Join(", ", dims)}] needs {payloadLength} payload bytes, " +
                                  (gzip is null ? $"found {available}." : $"the gzip trailer records only {Math.Max(0, available)}."));
            // Raw data is all there (its length was just checked), so the payload is allocated at once. Decompressed data is
            // only what the deflate stream yields, whatever the header and the gzip trailer claim: its buffer grows with it.
            int initial = gzip is null ? (int)payloadLength : (int)Math.Min(payloadLength, GzipInitialBytesPerStoredByte * storedBytes + GzipInitialSlack);
            var payload = ReadPayload(source, (int)payloadLength, initial, out got);
            if (got < payloadLength)
                throw Error(name, $"truncated{form}: header [{string.Join(", ", dims)}] needs {payloadLength} payload bytes, found {got}.");
            long trailing = CountRemaining(source);
            if (trailing > 0)
                throw Error(name, $"{(trailing > MaxTrailingCount ? $"more than {MaxTrailingCount}" : trailing)} unexpected trailing byte(s){form} " +
                                  $"after the {payload.Length}-byte payload of [{string.Join(", ", dims)}].");
            if (gzip?.Mismatch(gzipTrailer) is string problem) throw Error(name, problem);
            return (dims, payload);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !IsOwnError(e))
        {
            // A damaged gzip stream surfaces as the decompressor's InvalidDataException, which does not name the file.
            // zlib also checks the gzip trailer as the deflate data ends, so a short file whose trailer claims more fails
            // here: say how far the data went and what the header asked for.
            string progress = gzip is null ? ""
                : needed < 0 ? $" after {gzip.BytesDelivered} decompressed bytes, inside the IDX header"
                : $" after {gzip.BytesDelivered} of the {needed} decompressed bytes that its header [{string.Join(", ", dims!)}] needs";
            string cause = gzip is not null && e is InvalidDataException
                ? $"the gzip data is damaged, or its trailer's CRC-32 or size disagrees with it (zlib: {e.Message})"
                : e.Message;
            throw Error(name, $"cannot be read{progress}: {cause}", e);
        }
    }

    private static void CheckMagic(string name, int magic, int dimensionCount, string what)
    {
        int expected = UnsignedByteType << 8 | dimensionCount;
        if (magic == expected) return;
        string found = $"magic number 0x{magic:X8}";
        if ((magic & unchecked((int)0xFFFF0000)) != 0)
            throw Error(name, $"{found} is not an IDX header (its first two bytes must be zero); expected 0x{expected:X8} for {what}.");
        int type = (magic >> 8) & 0xFF, dims = magic & 0xFF;
        if (type != UnsignedByteType)
            throw Error(name, $"{found} declares element type 0x{type:X2} ({TypeName(type)}); only unsigned bytes (0x08) are supported.");
        string hint = dims switch { 1 => " (a label file?)", 3 => " (an image file?)", _ => "" };
        throw Error(name, $"{found} declares {dims} dimension(s){hint}; expected {dimensionCount} for {what}, magic 0x{expected:X8}.");
    }

    private static string TypeName(int type) => type switch
    {
        0x08 => "unsigned byte", 0x09 => "signed byte", 0x0B => "int16", 0x0C => "int32", 0x0D => "float32", 0x0E => "float64",
        _ => "unknown",
    };

    /// <summary>
    /// The stream to parse: <paramref name="stream"/> itself, or, when it starts with 1f 8b, a gunzipping
    /// <see cref="GzipCheck"/> view of it plus the gzip trailer to verify at the end; also the data's size when known.
    /// </summary>
    private static Stream Decompressed(Stream stream, out byte[]? gzipTrailer, out long? totalBytes, out long storedBytes)
    {
        gzipTrailer = null;
        totalBytes = null;
        Stream seekable = stream;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            seekable = copy;
        }
        long start = seekable.Position;
        storedBytes = seekable.Length - start;
        Span<byte> magic = stackalloc byte[2];
        int got = ReadFully(seekable, magic);
        seekable.Position = start;
        if (!IsGzip(magic[..got]))
        {
            totalBytes = seekable.Length - start;
            return seekable == stream ? new NonClosingStream(stream) : seekable;
        }
        gzipTrailer = GzipCheck.ReadTrailer(seekable, start);
        // The trailer's size is mod 2^32, exact for anything an array can hold; a damaged trailer is caught later anyway.
        if (gzipTrailer is not null) totalBytes = BinaryPrimitives.ReadUInt32LittleEndian(gzipTrailer.AsSpan(4));
        return new GzipCheck(new GZipStream(seekable, CompressionMode.Decompress, leaveOpen: seekable == stream));
    }

    internal static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    // Stops a little past MaxTrailingCount: a small gzip can inflate to gigabytes of trailing zeros, and the count is only for the message.
    private static long CountRemaining(Stream s)
    {
        Span<byte> sink = stackalloc byte[4096];
        long total = 0;
        int n;
        while (total <= MaxTrailingCount && (n = s.Read(sink)) > 0) total += n;
        return total;
    }

    private const int MaxTrailingCount = 1 << 20;

    // The first buffer for a gzip payload: 8 bytes per compressed byte covers MNIST-like files (about 5:1) in one read,
    // yet a 35-byte file that claims 2 GB gets 64 KiB; beyond that the buffer only doubles as the data arrives.
    private const int GzipInitialBytesPerStoredByte = 8;
    private const int GzipInitialSlack = 1 << 16;

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes into a buffer that starts at <paramref name="initial"/> bytes and doubles
    /// only when the stream has filled it, so at most twice what the stream delivered (plus the first buffer) is allocated.
    /// When all <paramref name="length"/> bytes arrive, the result is exactly that long.
    /// </summary>
    private static byte[] ReadPayload(Stream source, int length, int initial, out int got)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(initial);
        got = ReadFully(source, buffer);
        while (got == buffer.Length && buffer.Length < length)
        {
            var larger = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, 2L * buffer.Length));
            buffer.CopyTo(larger, 0);
            buffer = larger;
            got += ReadFully(source, buffer.AsSpan(got));
        }
        return buffer;
    }

    internal static InvalidDataException Error(string name, string message, Exception? inner = null)
    {
        var e = new InvalidDataException($"IDX file '{name}': {message}", inner);
        e.Data[OwnErrorKey] = true;
        return e;
    }

    private const string OwnErrorKey = "Autograd.Nn.Data.IdxReader";

    private static bool IsOwnError(Exception e) => e.Data.Contains(OwnErrorKey);

    /// <summary>Lets the parser dispose its source without closing the caller's stream.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
