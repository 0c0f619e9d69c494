using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.Membership;

/// <summary>
/// A connection asking for a seat: the room, what it presented (the digest of a secret, or a verified client token's
/// host claim in <paramref name="TokenMatch"/>), its name and user id, whether it wants to be able to resume, and
/// the `ref` to echo.
/// </summary>
public sealed record JoinRequest(
    string RoomId,
    byte[]? SecretDigest,
    SecretMatch? TokenMatch,
    string? Name,
    string? UserId,
    bool Resume,
    MessageRef Ref);

/// <summary>A connection coming back to its seat with its resume token and the last `seq` it processed.</summary>
public sealed record ResumeRequest(string RoomId, string Token, long Seq, MessageRef Ref);
