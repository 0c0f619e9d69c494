using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Tokens;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Events;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Rooms;

namespace Relay.Application;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the protocol rules, the room manager, membership, the applier of room events, the delivery path,
    /// validators (<see cref="RelayOptionsValidator"/> among them, for the application's `Relay:*` keys) and shared
    /// services. The backplane (<see cref="IRoomBackplane"/>) comes from the infrastructure; the mediator itself is
    /// added by the host (the project that runs the source generator), with <c>ValidationBehavior&lt;,&gt;</c> in its
    /// pipeline. Everything is a singleton: the hot path resolves nothing per message.
    /// </summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IRoomProtocol, MeshProtocol>();
        services.AddSingleton<IRoomProtocol, HostProtocol>();
        services.AddSingleton<ProtocolRegistry>();
        services.AddSingleton<RelayStats>();
        services.AddSingleton<RealtimeDispatcher>();
        services.AddSingleton<RoomFactory>();
        services.AddSingleton<RoomDelivery>();
        services.AddSingleton<RoomRelays>();
        services.AddSingleton<PendingArrivals>();
        services.AddSingleton<Orphans>();
        services.AddSingleton<ChangeCommitter>();
        services.AddSingleton<RoomMembership>();
        services.AddSingleton<RoomResumption>();
        services.AddSingleton<RoomManager>();
        services.AddSingleton<RoomEventApplier>();
        services.AddSingleton<ClientTokens>();
        services.AddValidatorsFromAssemblyContaining<RelayOptionsValidator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<IValidateOptions<RelayOptions>>(sp =>
            new OptionsValidation<RelayOptions>(sp.GetRequiredService<RelayOptionsValidator>(), RelayOptions.SectionName));
        return services;
    }
}
