namespace Relay.Application.Webhooks;

/// <summary>The webhook event types of the wire contract.</summary>
public static class WebhookEventTypes
{
    public const string RoomCreated = "room.created";
    public const string RoomClosed = "room.closed";
    public const string ClientJoined = "client.joined";
    public const string ClientLeft = "client.left";
    public const string ClientAway = "client.away";
    public const string ClientBack = "client.back";
    public const string HostChanged = "host.changed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        RoomCreated, RoomClosed, ClientJoined, ClientLeft, ClientAway, ClientBack, HostChanged,
    };
}
