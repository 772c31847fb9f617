using Autograd.Onnx.Proto;

namespace Autograd.Onnx;

/// <summary>A named attribute of an ONNX node: an int, a float or a list of ints.</summary>
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

    /// <summary>An INTS attribute, e.g. Transpose's perm or a convolution's kernel_shape.</summary>
    public static OnnxAttribute Ints(string name, params ReadOnlySpan<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (var v in values) a.Ints.Add(v);
        return new(a);
    }

    internal AttributeProto ToProto() =>
        _proto ?? throw new InvalidOperationException("ONNX export: an OnnxAttribute must be made with one of its factories (Int, Float, Ints), not default.");
}
