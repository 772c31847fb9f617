namespace Autograd.Nn;

/// <summary>
/// Writes files so that readers never see a half-written one and a crash leaves nothing that piles up. The data goes
/// into a temporary sibling <c>.name.&lt;32 hex digits&gt;.tmp</c>, is flushed to disk, and is renamed over the target
/// while the writer still holds it open. A process killed mid-write leaves its temporary file behind; the next write
/// to the same target deletes every such sibling that no live writer holds, so leftovers never accumulate.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> into a temporary sibling of <paramref name="path"/>, then moves it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder.", nameof(path));
        string name = Path.GetFileName(full);
        Directory.CreateDirectory(dir);
        RemoveStaleTemporaries(dir, name);

        // Same folder as the target: the move is then a rename on one file system, which is atomic. A unique name per
        // write, so two concurrent writers never share (and truncate) one temporary file.
        string tmp = Path.Combine(dir, $".{name}.{Guid.NewGuid():N}.tmp");
        // FileShare.Delete rather than None: the rename runs while this handle is open (Windows needs delete sharing for
        // that; on Unix any share but None takes a shared advisory lock), and the held handle is what tells a cleanup
        // that this file belongs to a live writer.
        var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.Delete);
        bool moved = false;
        try
        {
            write(stream);
            stream.Flush(flushToDisk: true);
            File.Move(tmp, full, overwrite: true);
            moved = true;
        }
        finally
        {
            stream.Dispose();
            if (!moved) DeleteQuietly(tmp);
        }
    }

    // After a failed write: an error here must not hide the write's own exception, and the next write's cleanup retries.
    private static void DeleteQuietly(string tmp)
    {
        try { File.Delete(tmp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Writes <paramref name="bytes"/> atomically to <paramref name="path"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, s => s.Write(bytes.Span));

    /// <summary>True when <paramref name="fileName"/> is the name of one of <see cref="Write"/>'s temporary files for <paramref name="target"/>.</summary>
    internal static bool IsTemporaryOf(string target, string fileName)
    {
        const int HexDigits = 32;
        string prefix = "." + target + ".", suffix = ".tmp";
        if (fileName.Length != prefix.Length + HexDigits + suffix.Length) return false;
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(suffix, StringComparison.Ordinal)) return false;
        foreach (char c in fileName.AsSpan(prefix.Length, HexDigits))
            if (!char.IsAsciiHexDigitLower(c)) return false;   // Guid "N" format: 0-9, a-f
        return true;
    }

    // A temporary file that an exclusive open can take is held by no live writer: its process died before the rename.
    // DeleteOnClose removes it as the handle closes, so nothing can take it over in between.
    private static void RemoveStaleTemporaries(string dir, string target)
    {
        foreach (string candidate in Directory.EnumerateFiles(dir, ".*.tmp"))
        {
            if (!IsTemporaryOf(target, Path.GetFileName(candidate))) continue;
            try
            {
                using var _ = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) { }                  // a live writer holds it, or it is already gone
            catch (UnauthorizedAccessException) { }  // not ours to remove
        }
    }
}
