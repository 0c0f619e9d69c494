using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Relay.Api.OpenApi;

/// <summary>Describes the REST API's path and query parameters, each with an example, in one place.</summary>
internal sealed class ParameterFilter : IParameterFilter
{
    private static readonly Dictionary<string, (string Description, JsonNode Example)> Parameters = new(StringComparer.Ordinal)
    {
        ["id"] = ("The room id.", "match-42"),
        ["clientId"] = ("The client's id in the room.", 2),
        ["offset"] = ("Rooms to skip: 0 or more.", 0),
        ["limit"] = ("Rooms in the page: 1-500.", 50),
    };

    public void Apply(IOpenApiParameter parameter, ParameterFilterContext context)
    {
        if (parameter is OpenApiParameter concrete && parameter.Name is { } name && Parameters.TryGetValue(name, out var docs))
        {
            concrete.Description = docs.Description;
            concrete.Example = docs.Example.DeepClone();
        }
    }
}
