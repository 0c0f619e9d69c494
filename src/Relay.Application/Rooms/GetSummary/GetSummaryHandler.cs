using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetSummary;

public sealed class GetSummaryHandler(RoomManager rooms, RelayStats stats, Protocols.ProtocolRegistry protocols)
    : IQueryHandler<GetSummaryQuery, Result<Summary>>
{
    public async ValueTask<Result<Summary>> Handle(GetSummaryQuery query, CancellationToken cancellationToken)
    {
        var totals = await rooms.GetTotalsAsync(cancellationToken);
        var byProtocol = protocols.Names.ToDictionary(n => n, n => totals.RoomsByProtocol.GetValueOrDefault(n), StringComparer.Ordinal);
        return Result<Summary>.Ok(new Summary(
            totals.Rooms,
            totals.Clients,
            byProtocol,
            stats.MessagesRelayed + totals.MessagesRelayedElsewhere,
            stats.BytesRelayed + totals.BytesRelayedElsewhere,
            (long)stats.Uptime.TotalSeconds));
    }
}
