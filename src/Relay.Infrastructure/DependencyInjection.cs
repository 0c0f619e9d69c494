using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Events;
using Relay.Infrastructure.Backplanes;
using Relay.Infrastructure.Backplanes.InMemory;
using Relay.Infrastructure.Backplanes.Redis;
using Relay.Infrastructure.Webhooks;

namespace Relay.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the backplane chosen by `Relay:Backplane`: in memory (the default, with the janitor that expires
    /// rooms and away windows) or Redis (with the maintenance service that connects, probes, heartbeats and sweeps),
    /// attached to the application's applier of room events; and the validation of the infrastructure's options,
    /// <see cref="BackplaneOptions"/> and <see cref="RedisOptions"/> (the host binds them).
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var backplane = configuration[$"{BackplaneOptions.SectionName}:{nameof(BackplaneOptions.Backplane)}"];
        var clustered = string.Equals(backplane, BackplaneOptions.Redis, StringComparison.Ordinal);
        services.AddSingleton<IValidateOptions<BackplaneOptions>>(
            new OptionsValidation<BackplaneOptions>(new BackplaneOptionsValidator(), BackplaneOptions.SectionName));
        services.AddSingleton<IValidateOptions<RedisOptions>>(
            new OptionsValidation<RedisOptions>(new RedisOptionsValidator(clustered), RedisOptions.SectionName));
        if (clustered)
        {
            var nodeId = configuration[$"{RedisOptions.SectionName}:{nameof(RedisOptions.NodeId)}"];
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
