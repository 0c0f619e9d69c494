namespace Relay.Client;

/// <summary>
/// The room as this client knows it (room id, own client id, host, members in join order), kept in step with the
/// server's messages: rebuilt from each <c>connected</c> or <c>resumed</c>, updated by the room events.
/// </summary>
internal sealed class RoomState
{
    private volatile RoomView _view = RoomView.Empty;

    public string? RoomId => _view.RoomId;

    public int? ClientId => _view.ClientId;

    public int? HostId => _view.HostId;

    public bool IsHost => _view is { ClientId: { } id, HostId: { } host } && id == host;

    public IReadOnlyList<RoomMember> Members => _view.Members;

    /// <summary>Applies <paramref name="message"/>; messages that do not change the room are ignored.</summary>
    public void Apply(ServerMessage message)
    {
        var view = _view;
        _view = message switch
        {
            ConnectedMessage c => new RoomView(c.RoomId, c.ClientId, c.HostId, c.Clients),
            ClientJoinedMessage j => view with
            {
                Members = [.. view.Members.Where(m => m.ClientId != j.ClientId), new RoomMember(j.ClientId, j.Name, false) { UserId = j.UserId }],
            },
            ClientLeftMessage l => view with { Members = [.. view.Members.Where(m => m.ClientId != l.ClientId)] },
            ClientAwayMessage a => WithAway(view, a.ClientId, true),
            ClientBackMessage b => WithAway(view, b.ClientId, false),
            HostChangedMessage h => view with { HostId = h.HostId, Members = [.. view.Members.Select(m => m with { IsHost = m.ClientId == h.HostId })] },
            _ => view,
        };
    }

    /// <summary>Out of the room: only <see cref="RoomId"/> is kept.</summary>
    public void Vacate() => _view = _view with { ClientId = null, HostId = null, Members = [] };

    private static RoomView WithAway(RoomView view, int clientId, bool away) =>
        view with { Members = [.. view.Members.Select(m => m.ClientId == clientId ? m with { Away = away } : m)] };

    private sealed record RoomView(string? RoomId, int? ClientId, int? HostId, IReadOnlyList<RoomMember> Members)
    {
        public static readonly RoomView Empty = new(null, null, null, []);
    }
}
