using System.Text;

namespace Autograd.Nn;

/// <summary>Saving and loading a module's parameters as safetensors, under their dotted names ("0.weight").</summary>
public static class ModuleSerialization
{
    /// <summary>Writes every parameter of <paramref name="module"/> to <paramref name="path"/> (atomically).</summary>
    public static void Save<T>(this Module<T> module, string path, IDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        SafeTensors.Save(path, module.NamedParameters(), metadata);
    }

    /// <summary>
    /// Copies the tensors of <paramref name="path"/> into <paramref name="module"/>'s parameters, in place. The file must
    /// hold exactly the module's parameter names, with the same shapes and the module's dtype; otherwise nothing is
    /// changed and the error lists every missing, unexpected and mismatched tensor.
    /// </summary>
    public static void Load<T>(this Module<T> module, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        using var stream = SafeTensors.OpenRead(path);
        var header = SafeTensorsHeader.Read(stream, path);
        var parameters = module.NamedParameters();
        CheckMatches(parameters, header, path, SafeTensors.DTypeOf<T>());

        // Everything is read before anything is copied, so an I/O error cannot leave the module half loaded.
        var loaded = SafeTensors.ReadTensors<T>(stream, header, path);
        foreach (var (name, p) in parameters) loaded[name].AsReadOnlySpan().CopyTo(p.AsSpan());
    }

    private static void CheckMatches<T>(IReadOnlyList<KeyValuePair<string, Tensor<T>>> parameters, SafeTensorsHeader header, string path, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inFile = new Dictionary<string, SafeTensorInfo>();
        foreach (var info in header.Tensors) inFile[info.Name] = info;
        var missing = new List<string>();
        var problems = new StringBuilder();
        var expectedNames = new HashSet<string>();
        foreach (var (name, p) in parameters)
        {
            expectedNames.Add(name);
            if (!inFile.TryGetValue(name, out var info)) { missing.Add(name); continue; }
            if (!p.Shape.Dimensions.SequenceEqual(info.Shape))
                problems.Append($"\n  shape mismatch: '{name}' is [{string.Join(", ", info.Shape)}] in the file but {p.Shape} in the module");
            if (info.DType != dtype)
                problems.Append($"\n  dtype mismatch: '{name}' is {info.DType} in the file but the module holds {dtype} ({typeof(T).Name}); convert explicitly");
        }
        var unexpected = header.Tensors.Select(t => t.Name).Where(n => !expectedNames.Contains(n)).ToList();
        if (missing.Count > 0) problems.Insert(0, $"\n  missing from the file: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) problems.Append($"\n  unexpected in the file: {string.Join(", ", unexpected)}");
        if (problems.Length > 0)
            throw new InvalidDataException($"Module.Load '{path}': the file does not match the module; nothing was loaded:{problems}");
    }
}
