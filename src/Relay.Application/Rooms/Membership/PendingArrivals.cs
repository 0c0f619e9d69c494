using System.Collections.Concurrent;
using System.Globalization;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// The joins and resumes of this node's connections that were decided but whose event has not been applied here yet,
/// by join token: when the event comes back (at once on a single node, through the store's channel in a cluster),
/// the applier finds the waiting connection here and seats it.
/// </summary>
public sealed class PendingArrivals
{
    private readonly ConcurrentDictionary<string, Arrival> _waiting = new(StringComparer.Ordinal);
    private long _lastToken;

    /// <summary>A join token unique in the cluster: this node's id and a counter.</summary>
    public string NewToken(string nodeId) =>
        nodeId + ":" + Interlocked.Increment(ref _lastToken).ToString(CultureInfo.InvariantCulture);

    public Arrival Register(string token, ClientConnection client, MessageRef messageRef, string? resumeToken, ReplayGate? gate = null)
    {
        var arrival = new Arrival(client, new MessageRef(messageRef.RawJson.ToArray()), resumeToken, gate);
        _waiting[token] = arrival;
        return arrival;
    }

    public bool TryTake(string token, out Arrival arrival) => _waiting.TryRemove(token, out arrival!);

    /// <summary>True while <paramref name="token"/> waits (for a snapshot that seats it, as its event would).</summary>
    public bool IsWaiting(string token) => _waiting.ContainsKey(token);

    public void Forget(string token) => _waiting.TryRemove(token, out _);
}

/// <summary>A connection waiting for its seat.</summary>
public sealed class Arrival(ClientConnection client, MessageRef messageRef, string? resumeToken, ReplayGate? gate)
{
    public ClientConnection Client { get; } = client;

    /// <summary>The `ref` of the `connect` or `resume` (a copy: the message buffer is reused).</summary>
    public MessageRef Ref { get; } = messageRef;

    /// <summary>The resume token in clear, to send in `connected` or `resumed`; null without resume.</summary>
    public string? ResumeToken { get; } = resumeToken;

    /// <summary>For a resume: the connection as seen by the room until what was missed has been written.</summary>
    public ReplayGate? Gate { get; } = gate;

    /// <summary>Set when the event was applied: the seat, or null when it could not be taken.</summary>
    public TaskCompletionSource<Session?> Seated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>For a resume: the room as the client finds it at its return (for `resumed`).</summary>
    public ResumeView? View { get; set; }
}
