using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Frames;

/// <summary>A member as `connected` and `resumed` list it.</summary>
public readonly record struct MemberView(int ClientId, string? Name, string? UserId, bool Away);

/// <summary>
/// The room as a returning client finds it at the moment its return is applied, kept until what it missed has been
/// gathered (the `resumed` reply is written then, with the count of missed events).
/// </summary>
public sealed record ResumeView(string RoomId, int ClientId, int? HostId, string Protocol, RoomMetadata Metadata, MemberView[] Members, long Seq)
{
    /// <summary>The view of <paramref name="self"/>'s room now (under the room's gate).</summary>
    public static ResumeView Capture(Room room, Session self)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(self);
        var members = room.Members;
        var views = new MemberView[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[i];
            views[i] = new MemberView(m.ClientId, m.Name, m.UserId, m.IsAway);
        }

        return new ResumeView(room.Id, self.ClientId, room.HostId, room.Protocol.Name, room.Metadata, views, room.Seq);
    }
}
