namespace Autograd.Nn;

/// <summary>
/// Opens a file that a reader parses. A missing path or a folder becomes a <see cref="FileNotFoundException"/> that names
/// the path and the kind of file expected, instead of the runtime's UnauthorizedAccessException for a folder.
/// </summary>
internal static class InputFile
{
    public static FileStream Open(string path, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new FileNotFoundException($"{kind} '{path}' is a folder; expected the path of a file.", path);
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{kind} '{path}' does not exist.", path, e);
        }
    }
}
