using Mediator;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Prometheus;
using Relay.Api.Configuration;
using Relay.Api.Hosting;
using Relay.Api.Monitor;
using Relay.Api.Playground;
using Relay.Api.Realtime;
using Relay.Api.Realtime.Upgrade;
using Relay.Api.Rooms;
using Relay.Api.Security;
using Relay.Application;
using Relay.Application.Common.Behaviors;
using Relay.Application.Common.Options;
using Relay.Application.Realtime.Connect;
using Relay.Infrastructure;
using Relay.Infrastructure.Backplanes;

namespace Relay.Api;

/// <summary>Builds the Relay web application: services, middleware and routes.</summary>
public static partial class RelayServer
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
        // (A value that is not a boolean is reported by the options validation below.)
        var inline = IsOn(builder.Configuration, nameof(ApiOptions.InlineScheduling));
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = inline);
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

        // WebSocket upgrades of /v1/websocket are answered ahead of Kestrel's HTTP layer, so that an open connection
        // keeps none of its per-request objects (LeanUpgrade); `Relay:LeanUpgrade=false` leaves them to the HTTP layer.
        // On plain HTTP endpoints the lean listener also accepts the sockets itself, so that a WebSocket it serves
        // keeps none of Kestrel's socket transport objects either (LeanListener); TLS endpoints keep Kestrel's path.
        if (IsOn(builder.Configuration, nameof(ApiOptions.LeanUpgrade)))
        {
            builder.Services.AddSingleton<LeanEndpoints>();
            builder.Services.AddSingleton<IConnectionListenerFactory, LeanListenerFactory>();
            builder.WebHost.ConfigureKestrel(o => o.ConfigureEndpointDefaults(endpoint => endpoint.Use(next =>
            {
                if (!endpoint.ApplicationServices.GetRequiredService<LeanEndpoints>().Note(endpoint))
                {
                    return next;
                }

                var upgrade = endpoint.ApplicationServices.GetRequiredService<LeanUpgrade>();
                return connection => upgrade.OnConnectionAsync(connection, next);
            })));
        }

        // The `Relay` section is checked against the options classes of every layer before they are bound: unknown
        // keys are warned about, unreadable values are reported with the validation failures (each layer validates
        // its own options: AddApplication, AddInfrastructure, AddRelayApi).
        builder.Services.AddSingleton(sp => RelayConfigurationCheck.Inspect(sp.GetRequiredService<IConfiguration>()));
        foreach (var section in RelaySections.All)
        {
            section.Bind(builder.Services);
        }

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
        CheckConfiguration(app);

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
        app.MapMonitor();
        apiKeys.LogStartupMode();
        return app;
    }

    /// <summary>
    /// A `Relay:*` switch that shapes the host before the options are bound: on unless it reads `false` (a value that is
    /// not a boolean is reported by the options validation).
    /// </summary>
    private static bool IsOn(IConfiguration configuration, string key) =>
        !bool.TryParse(configuration[$"{ApiOptions.SectionName}:{key}"], out var value) || value;

    /// <summary>
    /// Logs the version and the ignored configuration keys, then validates every `Relay:*` value at once (the
    /// unreadable ones, then the options of each layer): a failure disposes the app (flushing the log) and throws
    /// one <see cref="OptionsValidationException"/> listing every problem.
    /// </summary>
    private static void CheckConfiguration(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RelayServer).FullName!);
        var backplane = app.Configuration[$"{BackplaneOptions.SectionName}:{nameof(BackplaneOptions.Backplane)}"];
        LogStarting(logger, BuildInfo.Version, app.Environment.EnvironmentName, backplane ?? BackplaneOptions.InMemory);
        var check = app.Services.GetRequiredService<RelayConfigurationCheck>();
        check.LogIgnoredKeys(logger);
        var failures = new List<string>(check.Unreadable);
        foreach (var section in RelaySections.All)
        {
            try
            {
                _ = section.Read(app.Services);
            }
            catch (OptionsValidationException invalid)
            {
                failures.AddRange(invalid.Failures);
            }
        }

        if (failures.Count > 0)
        {
            ((IDisposable)app).Dispose();
            throw new OptionsValidationException(Options.DefaultName, typeof(RelayOptions), failures);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relay {Version} starting (environment {Environment}, backplane {Backplane})")]
    private static partial void LogStarting(ILogger logger, string version, string environment, string backplane);
}
