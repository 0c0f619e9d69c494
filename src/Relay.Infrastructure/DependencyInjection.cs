using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Infrastructure.Rooms;
using Relay.Infrastructure.Rooms.Redis;

namespace Relay.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the room manager chosen by `Relay:Backplane`: in-memory (the default, with the empty-room
    /// janitor) or Redis (with the cluster service that connects, heartbeats and sweeps).
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<RoomFactory>();
        var backplane = configuration[$"{RelayOptions.SectionName}:{nameof(RelayOptions.Backplane)}"];
        if (string.Equals(backplane, "Redis", StringComparison.Ordinal))
        {
            services.AddSingleton<RedisRoomManager>();
            services.AddSingleton<IRoomManager>(sp => sp.GetRequiredService<RedisRoomManager>());
            services.AddSingleton<RedisClusterService>();
            services.AddHostedService(sp => sp.GetRequiredService<RedisClusterService>());
            return services;
        }

        services.AddSingleton<InMemoryRoomManager>();
        services.AddSingleton<IRoomManager>(sp => sp.GetRequiredService<InMemoryRoomManager>());
        services.AddSingleton<EmptyRoomJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<EmptyRoomJanitor>());
        return services;
    }
}
