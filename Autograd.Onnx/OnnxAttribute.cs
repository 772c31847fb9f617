using System.Text;
using Autograd.Onnx.Proto;
using Google.Protobuf;

namespace Autograd.Onnx;

/// <summary>A named attribute of an ONNX node (an int, a float, a string or a list of ints or floats).</summary>
public readonly struct OnnxAttribute
{
    private readonly AttributeProto _proto;

    private OnnxAttribute(AttributeProto proto) => _proto = proto;

    /// <summary>An INT attribute, e.g. Gemm's transB = 1.</summary>
    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>A FLOAT attribute, e.g. LeakyRelu's alpha (ONNX stores attributes as 32-bit floats).</summary>
    public static OnnxAttribute Float(string name, double value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value });

    /// <summary>A STRING attribute, e.g. a pooling's auto_pad.</summary>
    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(value, Encoding.UTF8) });

    /// <summary>An INTS attribute, e.g. Transpose's perm or a convolution's kernel_shape.</summary>
    public static OnnxAttribute Ints(string name, params ReadOnlySpan<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (var v in values) a.Ints.Add(v);
        return new(a);
    }

    /// <summary>A FLOATS attribute.</summary>
    public static OnnxAttribute Floats(string name, params ReadOnlySpan<double> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        foreach (var v in values) a.Floats.Add((float)v);
        return new(a);
    }

    /// <summary>The attribute's name.</summary>
    public string Name => _proto?.Name ?? "";

    // Each node gets its own copy: a message must not have two parents.
    internal AttributeProto ToProto() =>
        _proto?.Clone() ?? throw new InvalidOperationException("ONNX export: an OnnxAttribute must be made with one of its factories (Int, Float, ...), not default.");
}
