using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Relay.Api.Rooms;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Relay.Api.OpenApi;

/// <summary>Gives each problem-details response of an operation the example for its status code (a 413 names the endpoint's limit).</summary>
internal sealed class ProblemExampleOperationFilter : IOperationFilter
{
    private const string ProblemJson = "application/problem+json";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var (code, response) in operation.Responses ?? [])
        {
            if (int.TryParse(code, out var status)
                && response.Content is { } content
                && content.TryGetValue(ProblemJson, out var media))
            {
                var example = OpenApiExamples.ForStatus(status);
                if (status == StatusCodes.Status413PayloadTooLarge
                    && example is JsonObject problem
                    && context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestBodyLimit>().FirstOrDefault() is { } limit)
                {
                    problem["detail"] = limit.Detail;
                }

                media.Example = example;
            }
        }
    }
}
