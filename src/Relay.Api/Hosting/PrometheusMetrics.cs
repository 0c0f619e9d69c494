using Microsoft.Extensions.Options;
using Prometheus;
using Relay.Api.Configuration;
using Relay.Application.Rooms;
using Relay.Application.Common;
using Relay.Application.Webhooks;

namespace Relay.Api.Hosting;

/// <summary>
/// Relay's metrics in Prometheus format at `/metrics` (prometheus-net), beside the process and .NET runtime
/// metrics (`process_*`, `dotnet_*`). Values are copied from <see cref="RelayStats"/> when a scrape
/// arrives, so the relay path pays only its interlocked counters.
/// </summary>
internal sealed class PrometheusMetrics
{
    private readonly RelayStats _stats;
    private readonly RoomManager _roomManager;
    private readonly Readiness _readiness;
    private readonly Gauge _connections;
    private readonly Gauge _openRooms;
    private readonly Gauge _clients;
    private readonly Gauge _backplane;
    private readonly Gauge _ready;
    private readonly Counter _connectionsOpened;
    private readonly Counter _messagesReceived;
    private readonly Counter _bytesReceived;
    private readonly Counter _messagesRelayed;
    private readonly Counter _bytesRelayed;
    private readonly Counter _deliveries;
    private readonly Counter _framesSent;
    private readonly Counter _bytesSent;
    private readonly Counter _drops;
    private readonly Counter _slowConsumerCloses;
    private readonly Counter _rateLimitHits;
    private readonly Counter _errors;
    private readonly Gauge _awayClients;
    private readonly Counter _resumes;
    private readonly Counter _resumeFailures;
    private readonly Counter _resyncs;
    private readonly Counter _lostRelays;
    private readonly WebhookMetrics _webhooks;

    public PrometheusMetrics(RelayStats stats, RoomManager rooms, Readiness readiness, IOptions<ApiOptions> options, WebhookStats webhooks)
    {
        _stats = stats;
        _roomManager = rooms;
        _readiness = readiness;
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        _connections = factory.CreateGauge("relay_connections", "Open WebSocket connections.");
        _openRooms = factory.CreateGauge("relay_rooms", "Open rooms.");
        _clients = factory.CreateGauge("relay_clients", "Clients in rooms connected to this node.");
        _backplane = factory.CreateGauge("relay_backplane_available", "1 while the room store is reachable (always 1 on a single node), else 0.");
        _ready = factory.CreateGauge("relay_ready", "1 while /readyz answers 200 (not stopping, room store reachable), else 0.");
        // Configuration, read once: the denominator of connection headroom (relay_connections / relay_max_connections).
        factory.CreateGauge("relay_max_connections", "Relay:MaxConnections, the open WebSocket connections this node accepts.")
            .Set(options.Value.MaxConnections);
        _connectionsOpened = factory.CreateCounter("relay_connections_opened_total", "WebSocket connections accepted since start.");
        _messagesReceived = factory.CreateCounter("relay_messages_received_total", "Messages received from clients.");
        _bytesReceived = factory.CreateCounter("relay_received_bytes_total", "Bytes of messages received from clients.");
        _messagesRelayed = factory.CreateCounter("relay_messages_relayed_total", "Relayed messages accepted (broadcast, send, binary, REST push).");
        _bytesRelayed = factory.CreateCounter("relay_relayed_bytes_total", "Payload bytes of relayed messages.");
        _deliveries = factory.CreateCounter("relay_deliveries_total", "Relayed messages queued to recipients (fan-out).");
        _framesSent = factory.CreateCounter("relay_frames_sent_total", "Frames written to clients.");
        _bytesSent = factory.CreateCounter("relay_sent_bytes_total", "Bytes of frames written to clients.");
        _drops = factory.CreateCounter("relay_drops_total", "Frames a connection refused because it was closing or its queue overflowed.");
        _slowConsumerCloses = factory.CreateCounter("relay_slow_consumer_closes_total", "Connections closed with 4004 (send queue overflow).");
        _rateLimitHits = factory.CreateCounter("relay_rate_limit_hits_total", "Messages refused with rate_limited.");
        _errors = factory.CreateCounter("relay_errors_total", "Error frames sent to clients, by code.", "code");
        _awayClients = factory.CreateGauge("relay_away_clients", "Resumable clients of rooms held on this node that are away (keeping their seat for the resume window).");
        _resumes = factory.CreateCounter("relay_resumes_total", "Clients that came back with resume on this node.");
        _resumeFailures = factory.CreateCounter("relay_resume_failures_total", "Resumes refused with resume_failed (or unavailable) on this node, by reason.", "reason");
        _resyncs = factory.CreateCounter("relay_backplane_resyncs_total", "Room copies reloaded because events may have been missed, by reason (gap, check, reconnect, format, commit).", "reason");
        _lostRelays = factory.CreateCounter("relay_backplane_lost_relays_total", "Relays from other nodes that never arrived here (a gap in their numbering, or room events a reloaded copy could not replay).");

        // Every label value is exported from the start (at 0), so that a rise is visible from the first one.
        foreach (var reason in RelayStats.ResyncReasons)
        {
            _resyncs.WithLabels(reason);
        }

        foreach (var reason in RelayStats.ResumeFailureReasons)
        {
            _resumeFailures.WithLabels(reason);
        }
        factory.CreateGauge("relay_build_info", "The server's version, as a label; always 1.", "version").WithLabels(BuildInfo.Version).Set(1);

        _webhooks = new WebhookMetrics(webhooks, factory);
        Registry.AddBeforeCollectCallback(Update);
    }

    /// <summary>This server's registry (not the process-wide default, so that servers in one process stay apart).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The room's members connected here (a cluster node's rooms also list members of other nodes).</summary>
    private static int LocalClients(Relay.Domain.Rooms.Room room)
    {
        var count = 0;
        foreach (var member in room.Members)
        {
            count += member.Connection is null ? 0 : 1;
        }

        return count;
    }

    private static int AwayClients(Relay.Domain.Rooms.Room room)
    {
        var count = 0;
        foreach (var member in room.Members)
        {
            count += member.IsAway ? 1 : 0;
        }

        return count;
    }

    private void Update()
    {
        var snapshot = _roomManager.Snapshot();
        _connections.Set(_stats.OpenConnections);
        _openRooms.Set(snapshot.Count);
        _clients.Set(snapshot.Sum(LocalClients));
        _awayClients.Set(snapshot.Sum(AwayClients));
        _resumes.IncTo(_stats.Resumes);
        foreach (var (reason, count) in _stats.ResumeFailures)
        {
            _resumeFailures.WithLabels(reason).IncTo(count);
        }

        foreach (var (reason, count) in _stats.Resyncs)
        {
            _resyncs.WithLabels(reason).IncTo(count);
        }

        _lostRelays.IncTo(_stats.LostRelays);
        _webhooks.Update();
        _backplane.Set(_roomManager.IsAvailable ? 1 : 0);
        _ready.Set(_readiness.NotReadyReason is null ? 1 : 0);
        _connectionsOpened.IncTo(_stats.ConnectionsOpened);
        _messagesReceived.IncTo(_stats.MessagesReceived);
        _bytesReceived.IncTo(_stats.BytesReceived);
        _messagesRelayed.IncTo(_stats.MessagesRelayed);
        _bytesRelayed.IncTo(_stats.BytesRelayed);
        _deliveries.IncTo(_stats.Deliveries);
        _framesSent.IncTo(_stats.FramesSent);
        _bytesSent.IncTo(_stats.BytesSent);
        _drops.IncTo(_stats.Drops);
        _slowConsumerCloses.IncTo(_stats.SlowConsumerCloses);
        _rateLimitHits.IncTo(_stats.RateLimitHits);
        foreach (var code in RelayStats.ErrorCodeNames)
        {
            _errors.WithLabels(code).IncTo(_stats.Errors(code));
        }
    }
}
