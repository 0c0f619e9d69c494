using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Events;
using Relay.Infrastructure.Backplanes.InMemory;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.Infrastructure.Webhooks;

namespace Relay.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the backplane chosen by `Relay:Backplane`: in memory (the default, with the janitor that expires
    /// rooms and away windows) or Redis (with the maintenance service that connects, probes, heartbeats and sweeps),
    /// attached to the application's applier of room events.
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var backplane = configuration[$"{RelayOptions.SectionName}:{nameof(RelayOptions.Backplane)}"];
        if (string.Equals(backplane, "Redis", StringComparison.Ordinal))
        {
            var nodeId = configuration[$"{RelayOptions.SectionName}:Redis:NodeId"];
            services.AddSingleton(new NodeIdentity(string.IsNullOrEmpty(nodeId)
                ? $"{Environment.MachineName}-{RoomFactory.NewToken(6)}".Replace('|', '-')
                : nodeId));
            services.AddSingleton(sp => Attached(sp, ActivatorUtilities.CreateInstance<RedisBackplane>(sp)));
            services.AddSingleton<IRoomBackplane>(sp => sp.GetRequiredService<RedisBackplane>());
            services.AddHostedService<RedisMaintenance>();
            services.AddWebhooks(configuration, cluster: true);
            return services;
        }

        services.AddSingleton(new NodeIdentity(InMemoryBackplane.LocalNodeId));
        services.AddSingleton(sp => Attached(sp, ActivatorUtilities.CreateInstance<InMemoryBackplane>(sp)));
        services.AddSingleton<IRoomBackplane>(sp => sp.GetRequiredService<InMemoryBackplane>());
        services.AddHostedService<RoomJanitor>();
        services.AddWebhooks(configuration, cluster: false);
        return services;
    }

    private static T Attached<T>(IServiceProvider services, T backplane)
        where T : IRoomBackplane
    {
        backplane.Attach(services.GetRequiredService<RoomEventApplier>());
        return backplane;
    }
}
