using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;
using Relay.Application.Realtime;
using Relay.Domain.Rooms;

namespace Relay.Application;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the protocol rules, validators and shared services. The mediator itself is added by the
    /// host (the project that runs the source generator), with <c>ValidationBehavior&lt;,&gt;</c> in its pipeline.
    /// Everything is a singleton: the hot path resolves nothing per message.
    /// </summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IRoomProtocol, MeshProtocol>();
        services.AddSingleton<IRoomProtocol, HostProtocol>();
        services.AddSingleton<ProtocolRegistry>();
        services.AddSingleton<RelayStats>();
        services.AddSingleton<RealtimeDispatcher>();
        services.AddValidatorsFromAssemblyContaining<RelayOptionsValidator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidation>();
        return services;
    }
}
