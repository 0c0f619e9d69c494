using Microsoft.AspNetCore.SignalR;

namespace SignalRRelay;

/// <summary>
/// Rooms are SignalR groups. A client joins one with <see cref="Join"/> and relays to the others in it with
/// <see cref="Broadcast"/> (binary, base64 in the JSON hub protocol) or <see cref="BroadcastText"/>.
/// Receivers get the client method <c>message</c> with (sender id, payload).
/// </summary>
public sealed class RelayHub : Hub
{
    public Task Join(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room, Context.ConnectionAborted);

    public Task Broadcast(string room, byte[] payload) =>
        Clients.OthersInGroup(room).SendAsync("message", Context.ConnectionId, payload, Context.ConnectionAborted);

    public Task BroadcastText(string room, string payload) =>
        Clients.OthersInGroup(room).SendAsync("message", Context.ConnectionId, payload, Context.ConnectionAborted);
}
