namespace Relay.Application.Rooms.PushMessage;

/// <summary>The answer to a push.</summary>
/// <param name="Recipients">How many clients the message was queued to (in a cluster, clients on other nodes count as reached).</param>
public sealed record PushMessageResult(int Recipients);
