namespace Relay.Domain.Rooms;

/// <summary>How a room gets its host.</summary>
public enum HostAssignment
{
    /// <summary>A client joining a room without a host becomes host; a client presenting the host secret always does.</summary>
    First,

    /// <summary>Only a client presenting the host secret becomes host.</summary>
    Secret,
}
