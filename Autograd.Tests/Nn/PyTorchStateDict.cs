using System.Text;

namespace Autograd.Tests.Nn;

/// <summary>
/// safetensors files laid out as safetensors.torch.save_file(model.state_dict()) writes them, built byte by byte here (not
/// with the library's writer): a JSON header with metadata {"format": "pt"} and the entries in the given order, then
/// their little-endian data.
/// </summary>
internal static class PyTorchStateDict
{
    public static byte[] File(IEnumerable<(string Name, string DType, int[] Shape, byte[] Data)> entries)
    {
        var json = new StringBuilder("""{"__metadata__":{"format":"pt"}""");
        var data = new List<byte>();
        foreach (var (name, dtype, shape, bytes) in entries)
        {
            json.Append($$""","{{name}}":{"dtype":"{{dtype}}","shape":[{{string.Join(",", shape)}}],"data_offsets":[{{data.Count}},{{data.Count + bytes.Length}}]}""");
            data.AddRange(bytes);
        }
        json.Append('}');
        var header = Encoding.UTF8.GetBytes(json.ToString()).ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');
        return [.. BitConverter.GetBytes((ulong)header.Count), .. header, .. data];   // the test machine is little-endian
    }

    public static byte[] Floats(IEnumerable<float> values) => values.SelectMany(BitConverter.GetBytes).ToArray();
}
