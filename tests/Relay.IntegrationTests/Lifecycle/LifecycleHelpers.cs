using System.Net;
using System.Net.WebSockets;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Lifecycle;

/// <summary>Bounded waits the lifecycle tests share: no sleeps, only deadlines on observable events.</summary>
public static class Lifecycle
{
    /// <summary>
    /// A clock made of the server's own connect timer: opens a socket that never sends `connect` and waits
    /// until the server closes it with 4002. Returns once at least the connect timeout has passed.
    /// </summary>
    public static async Task WaitOneConnectTimeoutAsync(RelayServer server, TimeSpan bound)
    {
        ArgumentNullException.ThrowIfNull(server);
        await using var idle = await server.ConnectClientAsync();
        var (status, description) = await idle.WaitForCloseAsync(bound);
        Assert.True((int?)status == 4002, $"the idle clock socket should close with 4002, got {(int?)status} {description}");
    }

    /// <summary>Polls `GET /v1/api/rooms/{id}` until it answers <paramref name="expected"/>, failing after <paramref name="deadline"/>.</summary>
    public static Task WaitForRoomStatusAsync(RelayServer server, string roomId, HttpStatusCode expected, TimeSpan deadline)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Eventually.StatusAsync(server.Http, $"/v1/api/rooms/{roomId}", expected, deadline);
    }

    /// <summary>GET the room: its status code.</summary>
    public static async Task<HttpStatusCode> RoomStatusAsync(RelayServer server, string roomId)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var response = await server.Http.GetAsync(new Uri($"/v1/api/rooms/{roomId}", UriKind.Relative));
        return response.StatusCode;
    }

    /// <summary>True while the socket is open from both sides.</summary>
    public static bool IsOpen(TestClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.Socket.State == WebSocketState.Open;
    }
}
