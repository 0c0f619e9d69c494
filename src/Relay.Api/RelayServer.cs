using Mediator;
using Prometheus;
using Relay.Api.Hosting;
using Relay.Api.Realtime;
using Relay.Api.Rooms;
using Relay.Api.Security;
using Relay.Application;
using Relay.Application.Common.Behaviors;
using Relay.Application.Common.Options;
using Relay.Application.Realtime.Connect;
using Relay.Infrastructure;

namespace Relay.Api;

/// <summary>Builds the Relay web application: services, middleware and routes.</summary>
public static class RelayServer
{
    /// <summary>
    /// Builds the app from <paramref name="args"/> and the usual configuration sources;
    /// <paramref name="configure"/> lets tests change configuration or services before it is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddOptions<RelayOptions>()
            .BindConfiguration(RelayOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddApplication();
        builder.Services.AddInfrastructure();
        builder.Services.AddMediator((MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.Assemblies = [typeof(ConnectCommand)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        builder.Services.AddRelayApi();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "Relay API v1");
            o.DocumentTitle = "Relay API";
        });
        var apiKeys = app.Services.GetRequiredService<ApiKeyPolicy>();
        app.Use((context, next) => apiKeys.EnforceAsync(context, next));
        app.UseWebSockets();
        app.MapHealthEndpoints();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<PrometheusMetrics>().Registry);
        app.MapRelayWebSocket();
        app.MapRoomsApi();
        apiKeys.LogStartupMode();
        return app;
    }
}
