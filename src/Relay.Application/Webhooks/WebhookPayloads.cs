using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Domain.Rooms;

namespace Relay.Application.Webhooks;

/// <summary>
/// What the backend is told of a committed room event, as the contract's table has it: the webhook events it makes,
/// in order, each with its offset from the event's first sequence number (a join that makes a new host is
/// `client.joined` then `host.changed`, like the `client_joined` and `host_changed` clients see). A room close is
/// `room.closed` alone, also when it is the host rule of a departure; a return after a replaced connection (the
/// client was not away) and a backend's update tell nothing. Types that `Relay:Webhooks:Events` leaves out are skipped.
/// </summary>
public sealed class WebhookPayloads(IOptions<RelayOptions> options)
{
    private readonly IReadOnlySet<string> _types = options.Value.Webhooks.Events.Count == 0
        ? WebhookEventTypes.All
        : new HashSet<string>(options.Value.Webhooks.Events, StringComparer.Ordinal);

    /// <summary>`room.created` for <paramref name="room"/>, or null when it is not sent.</summary>
    public PendingWebhook? Created(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (!_types.Contains(WebhookEventTypes.RoomCreated))
        {
            return null;
        }

        return new PendingWebhook(0, WebhookEventTypes.RoomCreated, Data(room.Id, w =>
        {
            w.WriteString("protocol"u8, room.Protocol.Name);
            w.WriteNumber("maxClients"u8, room.MaxClients);
            w.WritePropertyName("metadata"u8);
            w.WriteRawValue(room.Metadata.Utf8, skipInputValidation: true);
        }));
    }

    /// <summary>Adds the webhook events of <paramref name="e"/>, committed in <paramref name="roomId"/>, to <paramref name="into"/>.</summary>
    public void Collect(string roomId, RoomEvent e, List<PendingWebhook> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        switch (e)
        {
            case MemberJoined j:
                Add(into, 0, WebhookEventTypes.ClientJoined, roomId, w =>
                {
                    w.WriteNumber("clientId"u8, j.ClientId);
                    if (j.Name is null)
                    {
                        w.WriteNull("name"u8);
                    }
                    else
                    {
                        w.WriteString("name"u8, j.Name);
                    }

                    w.WriteBoolean("isHost"u8, j.BecomesHost);
                    if (j.UserId is not null)
                    {
                        w.WriteString("userId"u8, j.UserId);
                    }
                });
                if (j.BecomesHost)
                {
                    AddHostChanged(into, 1, roomId, j.ClientId);
                }

                break;
            case MemberLeft { Succession.Kind: SuccessionKind.CloseRoom }:
                Add(into, 0, WebhookEventTypes.RoomClosed, roomId, w => w.WriteString("reason"u8, RoomClosedReasons.HostLeft));
                break;
            case MemberLeft l:
                Add(into, 0, WebhookEventTypes.ClientLeft, roomId, w =>
                {
                    w.WriteNumber("clientId"u8, l.ClientId);
                    w.WriteString("reason"u8, l.Reason);
                });
                if (l.Succession.Kind == SuccessionKind.PassTo)
                {
                    AddHostChanged(into, 1, roomId, l.Succession.NextHostId);
                }
                else if (l.Succession.Kind == SuccessionKind.NoHost)
                {
                    AddHostChanged(into, 1, roomId, null);
                }

                break;
            case MemberAway a:
                Add(into, 0, WebhookEventTypes.ClientAway, roomId, w => w.WriteNumber("clientId"u8, a.ClientId));
                break;
            case MemberBack { WasAway: true } b:
                Add(into, 0, WebhookEventTypes.ClientBack, roomId, w => w.WriteNumber("clientId"u8, b.ClientId));
                break;
            case HostTransferred h:
                AddHostChanged(into, 0, roomId, h.HostId);
                break;
            case RoomClosed c:
                Add(into, 0, WebhookEventTypes.RoomClosed, roomId, w => w.WriteString("reason"u8, c.Reason));
                break;
        }
    }

    /// <summary>The request body: <c>{"type":...,"timestamp":...,"data":...}</c>, the same bytes on every retry and every node.</summary>
    public static byte[] Body(WebhookEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = new ArrayBufferWriter<byte>(e.Data.Length + 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type"u8, e.Type);
            w.WriteString("timestamp"u8, e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WritePropertyName("data"u8);
            w.WriteRawValue(e.Data, skipInputValidation: true);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void AddHostChanged(List<PendingWebhook> into, int offset, string roomId, int? hostId) =>
        Add(into, offset, WebhookEventTypes.HostChanged, roomId, w =>
        {
            if (hostId is { } id)
            {
                w.WriteNumber("hostId"u8, id);
            }
            else
            {
                w.WriteNull("hostId"u8);
            }
        });

    private void Add(List<PendingWebhook> into, int offset, string type, string roomId, Action<Utf8JsonWriter> fields)
    {
        if (_types.Contains(type))
        {
            into.Add(new PendingWebhook(offset, type, Data(roomId, fields)));
        }
    }

    private static byte[] Data(string roomId, Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("roomId"u8, roomId);
            fields(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
