using Microsoft.OpenApi;
using Relay.Api.Hosting;
using Relay.Api.Realtime;
using Relay.Api.Security;

namespace Relay.Api;

internal static class ApiServices
{
    public static IServiceCollection AddRelayApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        // Unreadable bodies and parameters become exceptions in every environment, so that
        // BadRequestExceptionHandler can answer with an `errors` map naming the field.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Relay API",
                Version = "v1",
                Description = "Create and manage rooms for Relay's WebSocket clients (`/v1/websocket`).",
            });
            var xml = Path.Combine(AppContext.BaseDirectory, "Relay.Application.xml");
            if (File.Exists(xml))
            {
                o.IncludeXmlComments(xml);
            }

            ApiKeyPolicy.AddToSwagger(o);
        });
        services.AddSingleton<ApiKeyPolicy>();
        services.AddSingleton<Readiness>();
        services.AddSingleton<PrometheusMetrics>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<WebSocketHandler>();
        services.AddHostedService<GracefulShutdown>();
        return services;
    }
}
