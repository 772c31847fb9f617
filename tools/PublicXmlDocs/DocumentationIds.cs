using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Text;

namespace Autograd.Tools.PublicXmlDocs;

/// <summary>
/// The documentation-comment IDs (<c>T:</c>, <c>M:</c>, <c>P:</c>, <c>F:</c>, <c>E:</c>) of an assembly's members,
/// spelled as the C# compiler writes them into the XML documentation file.
/// </summary>
internal static class DocumentationIds
{
    /// <summary>The IDs of the members a user can see, and of every member.</summary>
    public static (HashSet<string> Visible, HashSet<string> All) Of(MetadataReader md)
    {
        var visible = new HashSet<string>(StringComparer.Ordinal);
        var all = new HashSet<string>(StringComparer.Ordinal);
        var names = new SignatureNames(md);
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            string typeName = names.DefinitionName(handle, withArity: true);
            bool typeVisible = IsVisible(md, type);
            Add("T:" + typeName, typeVisible);

            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                Add("M:" + typeName + "." + MethodId(md, names, method), typeVisible && IsVisible(method.Attributes));
            }
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                bool fieldVisible = (field.Attributes & FieldAttributes.FieldAccessMask) is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem;
                Add("F:" + typeName + "." + Escape(md.GetString(field.Name)), typeVisible && fieldVisible);
            }
            foreach (var p in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                var accessors = property.GetAccessors();
                bool propertyVisible = IsVisibleAccessor(md, accessors.Getter) || IsVisibleAccessor(md, accessors.Setter);
                var signature = property.DecodeSignature(names, genericContext: null);
                string parameters = signature.ParameterTypes.Length == 0 ? "" : "(" + string.Join(",", signature.ParameterTypes) + ")";
                Add("P:" + typeName + "." + Escape(md.GetString(property.Name)) + parameters, typeVisible && propertyVisible);
            }
            foreach (var e in type.GetEvents())
            {
                var ev = md.GetEventDefinition(e);
                Add("E:" + typeName + "." + Escape(md.GetString(ev.Name)), typeVisible && IsVisibleAccessor(md, ev.GetAccessors().Adder));
            }
        }
        return (visible, all);

        void Add(string id, bool isVisible)
        {
            all.Add(id);
            if (isVisible) visible.Add(id);
        }
    }

    private static string MethodId(MetadataReader md, SignatureNames names, MethodDefinition method)
    {
        string name = md.GetString(method.Name) switch { ".ctor" => "#ctor", ".cctor" => "#cctor", var n => Escape(n) };
        var signature = method.DecodeSignature(names, genericContext: null);
        var sb = new StringBuilder(name);
        if (signature.GenericParameterCount > 0) sb.Append("``").Append(signature.GenericParameterCount);
        if (signature.ParameterTypes.Length > 0) sb.Append('(').AppendJoin(',', signature.ParameterTypes).Append(')');
        if (name is "op_Implicit" or "op_Explicit") sb.Append('~').Append(signature.ReturnType);
        return sb.ToString();
    }

    // Explicit interface implementations are named after the interface ("System.IDisposable.Dispose"): the compiler
    // writes their dots as '#'.
    private static string Escape(string memberName) => memberName.Replace('.', '#').Replace('<', '{').Replace('>', '}').Replace(',', '@');

    private static bool IsVisible(MethodAttributes attributes) =>
        (attributes & MethodAttributes.MemberAccessMask) is MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem;

    private static bool IsVisibleAccessor(MetadataReader md, MethodDefinitionHandle accessor) =>
        !accessor.IsNil && IsVisible(md.GetMethodDefinition(accessor).Attributes);

    private static bool IsVisible(MetadataReader md, TypeDefinition type)
    {
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (type.GetDeclaringType().IsNil) return visibility == TypeAttributes.Public;
        return visibility is TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem
               && IsVisible(md, md.GetTypeDefinition(type.GetDeclaringType()));
    }

    /// <summary>Type names inside signatures, as documentation IDs spell them.</summary>
    private sealed class SignatureNames(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        /// <summary>Namespace.Outer.Inner, with each level's `N arity suffix or without it (inside a signature).</summary>
        public string DefinitionName(TypeDefinitionHandle handle, bool withArity)
        {
            var type = md.GetTypeDefinition(handle);
            string name = md.GetString(type.Name);
            if (!withArity) name = StripArity(name);
            if (!type.GetDeclaringType().IsNil) return DefinitionName(type.GetDeclaringType(), withArity) + "." + name;
            string ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private string ReferenceName(TypeReferenceHandle handle)
        {
            var type = md.GetTypeReference(handle);
            string name = StripArity(md.GetString(type.Name));
            if (type.ResolutionScope.Kind == HandleKind.TypeReference)
                return ReferenceName((TypeReferenceHandle)type.ResolutionScope) + "." + name;
            string ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private static string StripArity(string name)
        {
            int tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => DefinitionName(handle, withArity: false);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => ReferenceName(handle);
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
        {
            PrimitiveTypeCode.IntPtr => "IntPtr",
            PrimitiveTypeCode.UIntPtr => "UIntPtr",
            PrimitiveTypeCode.TypedReference => "TypedReference",
            _ => typeCode.ToString(),
        };

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "{" + string.Join(",", typeArguments) + "}";
        public string GetGenericTypeParameter(object? genericContext, int index) => "`" + index;
        public string GetGenericMethodParameter(object? genericContext, int index) => "``" + index;
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) =>
            elementType + "[" + string.Join(",", Enumerable.Range(0, shape.Rank).Select(i =>
                (i < shape.LowerBounds.Length ? shape.LowerBounds[i].ToString() : "0") + ":" +
                (i < shape.Sizes.Length ? shape.Sizes[i].ToString() : ""))) + "]";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetByReferenceType(string elementType) => elementType + "@";
        public string GetPinnedType(string elementType) => elementType;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetFunctionPointerType(MethodSignature<string> signature) =>
            "=FUNC:" + signature.ReturnType + "(" + string.Join(",", signature.ParameterTypes) + ")";
    }
}
