using Microsoft.OpenApi;
using Relay.Api.Security;
using Relay.Application.Rooms;

namespace Relay.Api.OpenApi;

/// <summary>
/// The OpenAPI document at `/swagger/v1/swagger.json` (Swashbuckle), committed as `docs/openapi.json`: schemas
/// named after the API, descriptions from the XML docs, an example for every body, and the API key required
/// on `/v1/api/...` only.
/// </summary>
internal static class OpenApiSetup
{
    /// <summary>Schemas whose type name is not the API's name for them; every other schema is named after its type.</summary>
    private static readonly Dictionary<Type, string> SchemaNames = new()
    {
        [typeof(RoomDetails)] = "Room",
        [typeof(CreatedRoomDetails)] = "CreatedRoom",
    };

    public static IServiceCollection AddRelayOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Relay API",
                Version = "v1",
                Description = "Create and manage rooms for Relay's WebSocket clients (`/v1/websocket`). "
                    + "When the server has `Relay:ApiKeys`, every `/v1/api/...` call needs one of them (Authorize).",
            });
            foreach (var assembly in new[] { typeof(OpenApiSetup).Assembly, typeof(RoomDetails).Assembly })
            {
                var xml = Path.Combine(AppContext.BaseDirectory, $"{assembly.GetName().Name}.xml");
                if (File.Exists(xml))
                {
                    o.IncludeXmlComments(xml);
                }
            }

            o.CustomSchemaIds(type => SchemaNames.GetValueOrDefault(type, type.Name));
            o.SupportNonNullableReferenceTypes();
            o.SchemaFilter<ExampleSchemaFilter>();
            o.ParameterFilter<ParameterFilter>();
            o.OperationFilter<ProblemExampleOperationFilter>();
            ApiKeyPolicy.AddToSwagger(o);
        });
        return services;
    }
}
