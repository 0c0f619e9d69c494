namespace Relay.Application.Abstractions;

/// <summary>
/// Thrown by a shared store when it cannot be reached within the time budget (REST answers 503 with
/// `Retry-After`). The realtime path never sees it: its operations return an `unavailable` outcome instead.
/// </summary>
public sealed class RoomStoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
