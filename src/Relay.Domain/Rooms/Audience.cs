namespace Relay.Domain.Rooms;

/// <summary>How an <see cref="Audience"/> picks its members.</summary>
public enum AudienceKind : byte
{
    /// <summary>Every member but <see cref="Audience.Except"/> (0: every member).</summary>
    All,

    /// <summary>Only the member <see cref="Audience.Only"/>.</summary>
    One,

    /// <summary>The members listed in <see cref="Audience.List"/>.</summary>
    List,

    /// <summary>Nobody (a broadcast in a `host` room that has no host).</summary>
    None,
}

/// <summary>
/// The recipients of a room event, decided once per event from the room's state at that moment: the delivery
/// path asks <see cref="Includes"/> per member, and a room's history keeps it so that a resuming client gets
/// exactly what it would have received.
/// </summary>
public readonly record struct Audience(AudienceKind Kind, int Except, int Only, IReadOnlyList<int>? List)
{
    public static Audience Everyone => new(AudienceKind.All, 0, 0, null);

    public static Audience Nobody => new(AudienceKind.None, 0, 0, null);

    public static Audience AllBut(int clientId) => new(AudienceKind.All, clientId, 0, null);

    public static Audience Single(int clientId) => new(AudienceKind.One, 0, clientId, null);

    public static Audience Listed(IReadOnlyList<int> clientIds) => new(AudienceKind.List, 0, 0, clientIds);

    public bool Includes(int clientId) => Kind switch
    {
        AudienceKind.All => clientId != Except,
        AudienceKind.One => clientId == Only,
        AudienceKind.List => Contains(List!, clientId),
        _ => false,
    };

    private static bool Contains(IReadOnlyList<int> ids, int clientId)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == clientId)
            {
                return true;
            }
        }

        return false;
    }
}
