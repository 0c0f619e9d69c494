using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetSummary;

/// <summary>`GET /v1/api/summary`: totals over every room.</summary>
public sealed record GetSummaryQuery : IQuery<Result<Summary>>;

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

public sealed class GetSummaryHandler(IRoomManager rooms, RelayStats stats, Protocols.ProtocolRegistry protocols)
    : IQueryHandler<GetSummaryQuery, Result<Summary>>
{
    public ValueTask<Result<Summary>> Handle(GetSummaryQuery query, CancellationToken cancellationToken)
    {
        var snapshot = rooms.Snapshot();
        var byProtocol = protocols.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var clients = 0;
        foreach (var room in snapshot)
        {
            clients += room.ClientCount;
            byProtocol[room.Protocol.Name] = byProtocol.GetValueOrDefault(room.Protocol.Name) + 1;
        }

        return ValueTask.FromResult(Result<Summary>.Ok(new Summary(
            snapshot.Count,
            clients,
            byProtocol,
            stats.MessagesRelayed,
            stats.BytesRelayed,
            (long)stats.Uptime.TotalSeconds)));
    }
}
