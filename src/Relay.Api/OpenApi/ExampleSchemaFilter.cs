using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Relay.Api.OpenApi;

/// <summary>
/// Gives each API schema its example (<see cref="OpenApiExamples"/>) and turns a string property marked with
/// <see cref="AllowedValuesAttribute"/> (`protocol`, `hostAssignment`, ...) into an enum. A room's `metadata`
/// (any JSON to the serializer) is documented as the JSON object it must be.
/// </summary>
internal sealed class ExampleSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (context.MemberInfo?.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            concrete.Enum = [.. allowed.Values.OfType<string>().Select(v => (JsonNode)JsonValue.Create(v)!)];
        }
        else if (context.MemberInfo?.Name == "Metadata" && (Nullable.GetUnderlyingType(context.Type) ?? context.Type) == typeof(JsonElement))
        {
            concrete.Type = JsonSchemaType.Object | (concrete.Type.GetValueOrDefault() & JsonSchemaType.Null);
        }
        else if (context.MemberInfo is null && OpenApiExamples.ForType(context.Type) is { } example)
        {
            concrete.Example = example;
        }
    }
}
