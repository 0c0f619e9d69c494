namespace Relay.Application.Rooms.GetSummary;

/// <summary>The combined summary of all rooms.</summary>
/// <param name="Rooms">Open rooms.</param>
/// <param name="Clients">Clients in rooms.</param>
/// <param name="RoomsByProtocol">Open rooms per protocol name.</param>
/// <param name="MessagesRelayed">Relayed messages accepted since start (broadcast, send, binary, REST push), counted once each.</param>
/// <param name="BytesRelayed">Payload bytes of those messages.</param>
/// <param name="UptimeSeconds">Seconds since the server started.</param>
public sealed record Summary(
    int Rooms,
    int Clients,
    IReadOnlyDictionary<string, int> RoomsByProtocol,
    long MessagesRelayed,
    long BytesRelayed,
    long UptimeSeconds);
