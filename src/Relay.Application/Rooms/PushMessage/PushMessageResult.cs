namespace Relay.Application.Rooms.PushMessage;

/// <summary>How many clients the message was queued to.</summary>
public sealed record PushMessageResult(int Recipients);
