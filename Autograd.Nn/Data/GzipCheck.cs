using System.Buffers.Binary;

namespace Autograd.Nn.Data;

/// <summary>
/// Verifies a single-member gzip file's trailer (CRC-32 and length of the decompressed data). .NET's GZipStream
/// silently ignores a missing trailer and bytes appended after the compressed data; this check catches both.
/// </summary>
internal sealed class GzipCheck : Stream
{
    private static readonly uint[] Table = BuildTable();
    private readonly Stream _inner;
    private uint _crc = 0xFFFFFFFF;
    private long _length;

    /// <summary>Decompressed bytes read through this wrapper so far.</summary>
    public long BytesDelivered => _length;

    /// <summary>Wraps the decompressing stream; every byte read through this wrapper enters the checksum.</summary>
    public GzipCheck(Stream decompressed) => _inner = decompressed;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The 8-byte trailer of the compressed data in <paramref name="seekable"/> from <paramref name="start"/>, or null when too short.</summary>
    public static byte[]? ReadTrailer(Stream seekable, long start)
    {
        long end = seekable.Length;
        if (end - start < 18) return null;   // 10-byte header + 8-byte trailer at least
        var trailer = new byte[8];
        seekable.Position = end - 8;
        int got = IdxReader.ReadFully(seekable, trailer);
        seekable.Position = start;
        return got == 8 ? trailer : null;
    }

    /// <summary>Null when the bytes read so far match <paramref name="trailer"/>, otherwise what is wrong.</summary>
    public string? Mismatch(byte[]? trailer)
    {
        uint crc = ~_crc, size = (uint)_length;
        if (trailer is not null)
        {
            uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer), expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(4));
            if (crc == expectedCrc && size == expectedSize) return null;
            return $"gzip data is damaged or followed by extra bytes: the decompressed {_length} bytes have CRC-32 0x{crc:X8}, " +
                   $"but the file's last 8 bytes read as CRC-32 0x{expectedCrc:X8} for {expectedSize} bytes (multi-member gzip is not supported).";
        }
        return "gzip data is too short to hold its 8-byte trailer.";
    }

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        uint c = _crc;
        foreach (byte b in buffer[..n]) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        _crc = c;
        _length += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
