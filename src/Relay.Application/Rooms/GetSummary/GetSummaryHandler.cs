using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetSummary;

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
