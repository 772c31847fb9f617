namespace Autograd.Nn;

/// <summary>
/// Saving and loading a module's state as safetensors under PyTorch's state_dict names ("0.weight", "1.running_mean",
/// "1.num_batches_tracked"): parameters and buffers in the module's dtype, integer buffers as I64.
/// </summary>
public static class ModuleSerialization
{
    /// <summary>Writes every parameter and buffer of <paramref name="module"/> and the <paramref name="metadata"/> to <paramref name="path"/> (atomically).</summary>
    public static void Save<T>(this Module<T> module, string path, IDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsWriter.Write(path, Entries(module, "", path), metadata);
    }

    /// <summary>
    /// Copies the tensors of <paramref name="path"/> into <paramref name="module"/>'s parameters and buffers, in place, and
    /// returns the file's metadata (what <see cref="Save"/> was given). The file must hold exactly the module's names, with
    /// the same shapes and dtypes (the module's for parameters and buffers, I64 for integer buffers); otherwise nothing is
    /// changed and the error lists every missing, unexpected and mismatched tensor.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Load<T>(this Module<T> module, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        using var stream = SafeTensors.OpenRead(path);
        var header = SafeTensorsHeader.Read(stream, path);
        var mismatch = new StateMismatch(header);
        var targets = Targets(module, "");
        mismatch.Check(targets, "the module");
        mismatch.ThrowIfAny($"Module.Load '{path}': the file does not match the module; nothing was loaded:");

        // Everything is read before anything is copied, so an I/O error cannot leave the module half loaded.
        var commits = targets.ConvertAll(t => t.Stage(stream, header, mismatch.InfoOf(t), path));
        foreach (var commit in commits) commit();
        return header.Metadata;
    }

    /// <summary>The module's state as entries to write, each name prefixed by <paramref name="prefix"/> ("model." in a checkpoint).</summary>
    internal static List<SafeTensorsEntry> Entries<T>(Module<T> module, string prefix, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var entries = new List<SafeTensorsEntry>();
        foreach (var (name, p) in module.NamedParameters()) entries.Add(SafeTensorsEntry.Of(prefix + name, p, path));
        foreach (var (name, b) in module.NamedBuffers()) entries.Add(SafeTensorsEntry.Of(prefix + name, b, path));
        foreach (var (name, b) in module.NamedInt64Buffers())
            entries.Add(new(prefix + name, "I64", b.Shape, (long)b.Shape.Length * sizeof(long), stream => SafeTensorsWriter.WriteLittleEndian<long>(stream, b.AsSpan())));
        return entries;
    }

    /// <summary>Where each saved name of the module loads into (names prefixed as in <see cref="Entries"/>).</summary>
    internal static List<LoadTarget> Targets<T>(Module<T> module, string prefix) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var targets = new List<LoadTarget>();
        foreach (var (name, p) in module.NamedParameters()) targets.Add(new LoadTarget<T>(prefix + name, p.Shape, p.AsSpan));
        foreach (var (name, b) in module.NamedBuffers()) targets.Add(new LoadTarget<T>(prefix + name, b.Shape, b.AsSpan));
        foreach (var (name, b) in module.NamedInt64Buffers()) targets.Add(new LoadTarget<long>(prefix + name, b.Shape, b.AsSpan));
        return targets;
    }
}
