using Mediator;
using Prometheus;
using Relay.Api.Hosting;
using Relay.Api.Playground;
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
        // Run socket completions and the pipes' continuations inline on the I/O threads rather than hopping to the
        // thread pool: on a 2-core box this cut server CPU by ~15 % and p99 by a third at equal load (docs/benchmarks.md).
        // Safe here because nothing on the relay path blocks; `Relay:InlineScheduling=false` turns it off.
        var inline = builder.Configuration.GetValue($"{RelayOptions.SectionName}:{nameof(RelayOptions.InlineScheduling)}", true);
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = inline);

        builder.Services.AddOptions<RelayOptions>()
            .BindConfiguration(RelayOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddApplication();
        builder.Services.AddInfrastructure(builder.Configuration);
        builder.Services.AddMediator((MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.Assemblies = [typeof(ConnectCommand)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        builder.Services.AddRelayApi();

        // The hosting layer's per-request Activity and log scope would live as long as each WebSocket; its
        // request logs are Information-level and filtered out anyway.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        configure?.Invoke(builder);

        var app = builder.Build();

        // The WebSocket endpoint is a branch of its own, ahead of everything else: a connection lives for hours,
        // and every middleware it passed through would hold per-connection state for as long.
        app.MapRelayWebSocket();
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
        app.MapHealthEndpoints();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<PrometheusMetrics>().Registry);
        app.MapRoomsApi();
        app.MapPlayground();
        apiKeys.LogStartupMode();
        return app;
    }
}
