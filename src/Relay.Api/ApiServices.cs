using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Relay.Api.Configuration;
using Relay.Api.Hosting;
using Relay.Api.OpenApi;
using Relay.Api.Realtime;
using Relay.Api.Realtime.Upgrade;
using Relay.Api.Rooms;
using Relay.Api.Security;
using Relay.Application.Common.Options;

namespace Relay.Api;

internal static class ApiServices
{
    /// <summary>
    /// Registers the REST API, the WebSocket endpoint and the hosting services, and the validation of the API's
    /// options (<see cref="ApiOptions"/>: its rules, and API keys outside Development; the host binds them).
    /// </summary>
    public static IServiceCollection AddRelayApi(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ApiOptions>>(new OptionsValidation<ApiOptions>(new ApiOptionsValidator(), ApiOptions.SectionName));
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiKeyRequirement>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = RequestBodyLimit.Describe);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        // Unreadable bodies and parameters become exceptions in every environment, so that
        // BadRequestExceptionHandler can answer with an `errors` map naming the field.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // Strict JSON: a number in a string (`"maxClients":"4"`) is a 400 naming the field, and JSON values
        // (metadata, pushed data) are written back exactly as they were sent.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.Converters.Add(new RawJsonConverter());
        });
        services.AddRelayOpenApi();
        services.AddSingleton<ApiKeyPolicy>();
        services.AddSingleton<Readiness>();
        services.AddSingleton<PrometheusMetrics>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<UnexpectedFailureLog>();
        services.AddSingleton<WebSocketHandler>();
        services.AddSingleton<LeanUpgrade>();
        services.AddSingleton<KeepAliveSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<KeepAliveSweep>());
        services.AddHostedService<GracefulShutdown>();
        return services;
    }
}
