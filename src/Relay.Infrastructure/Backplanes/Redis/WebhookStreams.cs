using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Relay.Application.Webhooks;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// A cluster's webhook events in Redis: one stream per partition of rooms (<c>:wh:{p}</c>, <see cref="Partitions"/> of
/// them, a room's partition fixed by a hash of its id), appended by the same script that commits the event (so an
/// event is stored exactly when it is committed, and in the room's order), each partition delivered by the one node
/// that holds its lease (<c>:wh:lease:{p}</c>). An entry is <c>s</c> (the event's seq), <c>t</c> (Redis' time in ms)
/// and <c>v</c>: <c>W1 {roomId} {epoch} {type}\n{data JSON}</c>. A full stream takes no more: the script counts the
/// drop in <c>:wh:{p}:d</c>, which the partition's holder adds to its metrics.
/// </summary>
internal sealed class WebhookStreams(RedisKeys keys, WebhookPayloads payloads, int maxQueued)
{
    /// <summary>How many partitions the rooms are spread over (fixed: a room's events must always land in the same one).</summary>
    public const int Partitions = 16;

    public const string Prefix = "W1 ";

    [ThreadStatic]
    private static List<PendingWebhook>? t_pending;

    public static int PartitionOf(string roomId) =>
        (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(roomId)) % Partitions);

    public RedisKey Stream(int partition) => $"{keys.Prefix}:wh:{partition.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The lease keys are this plus the partition number.</summary>
    public string LeasePrefix => keys.Prefix + ":wh:lease:";

    /// <summary>The script's writes for the webhook events of <paramref name="e"/> (4 values each; none when it sends none).</summary>
    public void AddOps(Room room, RoomEvent e, List<RedisValue> into)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(into);
        var pending = t_pending ??= new List<PendingWebhook>(2);
        pending.Clear();
        payloads.Collect(room.Id, e, pending);
        var stream = Stream(PartitionOf(room.Id)).ToString();
        foreach (var p in pending)
        {
            into.Add("hook");
            into.Add(stream);
            into.Add(Bound(p.Offset));
            into.Add(Pack(room, p));
        }

        pending.Clear();
    }

    /// <summary>The create script's three webhook arguments: stream key (empty: none), bound, value.</summary>
    public (RedisValue Stream, RedisValue Bound, RedisValue Value) CreateArgs(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return payloads.Created(room) is { } created
            ? (Stream(PartitionOf(room.Id)).ToString(), Bound(0), Pack(room, created))
            : (RedisValue.EmptyString, RedisValue.EmptyString, RedisValue.EmptyString);
    }

    /// <summary>Reads a stream entry back; null when it is not one this version knows.</summary>
    public static WebhookEvent? Decode(RedisValue seq, RedisValue time, RedisValue value)
    {
        var bytes = (byte[]?)value;
        if (bytes is null || !seq.TryParse(out long s) || !time.TryParse(out long t))
        {
            return null;
        }

        var newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0 || !bytes.AsSpan().StartsWith(Encoding.ASCII.GetBytes(Prefix)))
        {
            return null;
        }

        var head = Encoding.UTF8.GetString(bytes, Prefix.Length, newline - Prefix.Length).Split(' ');
        if (head.Length != 3)
        {
            return null;
        }

        return new WebhookEvent(head[0], head[1], s, head[2], DateTimeOffset.FromUnixTimeMilliseconds(t), bytes[(newline + 1)..]);
    }

    private string Bound(int offset) => string.Create(CultureInfo.InvariantCulture, $"{offset}:{maxQueued}");

    private static byte[] Pack(Room room, PendingWebhook p)
    {
        var head = Encoding.UTF8.GetBytes($"{Prefix}{room.Id} {room.Epoch} {p.Type}\n");
        return [.. head, .. p.Data];
    }
}
