using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Abstractions;
using Relay.Infrastructure.Rooms;

namespace Relay.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Registers the room manager (in-memory) with its room factory and the empty-room janitor.</summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services)
    {
        services.AddSingleton<RoomFactory>();
        services.AddSingleton<IRoomManager, InMemoryRoomManager>();
        services.AddSingleton<EmptyRoomJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<EmptyRoomJanitor>());
        return services;
    }
}
