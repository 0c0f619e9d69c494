using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Contract;

/// <summary>The room-manager contract on a single server with the default in-memory manager.</summary>
public sealed class InMemoryRoomManagerContractTests : RoomManagerContract
{
    protected override async Task<IReadOnlyList<RelayServer>> StartServersAsync() => [await RelayServer.StartAsync()];
}
