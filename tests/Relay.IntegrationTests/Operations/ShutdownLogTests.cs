using Relay.IntegrationTests.Infrastructure;
using Relay.IntegrationTests.Protocol;

namespace Relay.IntegrationTests.Operations;

/// <summary>SIGTERM on the real process: the shutdown is logged once, with what it closed, and the process exits 0.</summary>
[Trait("Scope", "node")]
public sealed class ShutdownLogTests
{
    [Fact]
    public async Task Sigterm_logs_one_shutdown_line_with_the_rooms_and_connections_it_closed()
    {
        await using var server = ServerProcess.Start(["--Relay:AllowAnonymousApi=true"]);
        var address = await server.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var room = await new RelayApi(http).CreateRoomAsync();
        var webSocket = new Uri($"ws://{address.Authority}/v1/websocket");
        await using var member = await TestClient.ConnectAsync(webSocket);
        await member.JoinAsync(room.Id, room.Secret);
        await using var idle = await TestClient.ConnectAsync(webSocket);
        await idle.AssertNothingPendingAsync();

        await server.TerminateAsync();

        await Expect.RoomClosedAsync(member, "shutdown", System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, ServerProcess.Bound);
        var exitCode = await server.WaitForExitAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Error}");
        Assert.True(server.CountOutputLines("Shutting down:") == 1, $"expected one shutdown line:\n{server.Output}");
        Assert.True(
            server.Output.Contains("Shutting down: closed 1 rooms and 2 connections", StringComparison.Ordinal),
            $"expected the room and both connections in the shutdown line:\n{server.Output}");
    }

    [Fact]
    public async Task Sigterm_to_dotnet_run_reaches_the_server_as_the_cluster_recipe_says()
    {
        await using var server = ServerProcess.StartWithDotnetRun(["--Relay:AllowAnonymousApi=true"]);
        await server.WaitUntilListeningAsync();

        await server.TerminateAsync();

        var exitCode = await server.WaitForExitAsync();
        Assert.True(server.CountOutputLines("Shutting down: closed 0 rooms and 0 connections") == 1, $"the server did not shut down gracefully:\n{server.Output}\n{server.Error}");
        Assert.True(exitCode == 0, $"exit code {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Error}");
    }
}
