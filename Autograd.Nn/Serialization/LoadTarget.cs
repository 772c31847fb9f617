using System.Text;

namespace Autograd.Nn;

/// <summary>
/// A named array that a load expects in a safetensors file (its dtype and shape) and the memory its values go to.
/// Loading reads every target first (<see cref="Stage"/>) and copies afterwards, so a failed read changes nothing.
/// </summary>
internal abstract class LoadTarget(string name, string dtype, Shape shape)
{
    public string Name { get; } = name;
    public string DType { get; } = dtype;
    public Shape Shape { get; } = shape;

    /// <summary>Reads the file's values into a private copy; the returned action copies them into place.</summary>
    public abstract Action Stage(Stream stream, SafeTensorsHeader header, SafeTensorInfo info, string path);

    /// <summary>Reads the data of <paramref name="info"/> (whose dtype and size the caller has checked) into a new array.</summary>
    public static TElement[] ReadArray<TElement>(Stream stream, SafeTensorsHeader header, SafeTensorInfo info, string path) where TElement : unmanaged
    {
        // The header was validated against the file's length, so this allocation is bounded by bytes that exist.
        var values = new TElement[checked((int)(info.ByteLength / System.Runtime.CompilerServices.Unsafe.SizeOf<TElement>()))];
        stream.Position = header.DataStart + info.Begin;
        SafeTensors.ReadLittleEndian<TElement>(stream, values, path);
        return values;
    }
}

/// <summary>A load target whose values are elements of <typeparamref name="TElement"/> written into <c>destination()</c>.</summary>
internal sealed class LoadTarget<TElement>(string name, Shape shape, Func<Span<TElement>> destination)
    : LoadTarget(name, SafeTensorsWriter.DTypeOfElement<TElement>(), shape) where TElement : unmanaged
{
    public override Action Stage(Stream stream, SafeTensorsHeader header, SafeTensorInfo info, string path)
    {
        var values = ReadArray<TElement>(stream, header, info, path);
        return () => values.CopyTo(destination());
    }
}

/// <summary>
/// Compares a file's tensors with what a load expects and collects every difference, so one exception lists them all:
/// missing names, shape and dtype mismatches, unexpected names.
/// </summary>
internal sealed class StateMismatch(SafeTensorsHeader header)
{
    private readonly Dictionary<string, SafeTensorInfo> _inFile = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    private readonly List<string> _missing = [];
    private readonly StringBuilder _problems = new();

    /// <summary>The file's entry <paramref name="name"/>, marking it as expected (so it is not reported as unexpected).</summary>
    public SafeTensorInfo? Claim(string name)
    {
        if (!_inFile.TryGetValue(name, out var info)) return null;
        _claimed.Add(name);
        return info;
    }

    /// <summary>Checks every target against the file; <paramref name="holder"/> names what the targets belong to ("the module").</summary>
    public void Check(IEnumerable<LoadTarget> targets, string holder)
    {
        foreach (var target in targets)
        {
            if (Claim(target.Name) is not { } info) { _missing.Add(target.Name); continue; }
            if (!target.Shape.Dimensions.SequenceEqual(info.Shape))
                Problem($"shape mismatch: '{target.Name}' is [{string.Join(", ", info.Shape)}] in the file but {target.Shape} in {holder}");
            if (info.DType != target.DType)
                Problem($"dtype mismatch: '{target.Name}' is {info.DType} in the file but {holder} holds {target.DType}; convert explicitly");
        }
    }

    /// <summary>Records a problem (a line of the exception message).</summary>
    public void Problem(string line) => _problems.Append("\n  ").Append(line);

    /// <summary>The file's entry for a target that <see cref="Check"/> accepted.</summary>
    public SafeTensorInfo InfoOf(LoadTarget target) => _inFile[target.Name];

    /// <summary>Throws <see cref="InvalidDataException"/> starting with <paramref name="context"/> if anything differs, unclaimed names included.</summary>
    public void ThrowIfAny(string context)
    {
        var unexpected = header.Tensors.Select(t => t.Name).Where(n => !_claimed.Contains(n)).ToList();
        var message = new StringBuilder();
        if (_missing.Count > 0) message.Append($"\n  missing from the file: {string.Join(", ", _missing)}");
        message.Append(_problems);
        if (unexpected.Count > 0) message.Append($"\n  unexpected in the file: {string.Join(", ", unexpected)}");
        if (message.Length > 0) throw new InvalidDataException(context + message);
    }
}
