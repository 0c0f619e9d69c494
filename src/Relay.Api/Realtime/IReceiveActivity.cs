namespace Relay.Api.Realtime;

/// <summary>A stream that notes when bytes last came from the peer, for the keep-alive (<see cref="KeepAliveSweep"/>).</summary>
internal interface IReceiveActivity
{
    /// <summary>When bytes last arrived (a timestamp of <see cref="KeepAliveSweep.Clock"/>), or when the stream was made.</summary>
    long LastReceived { get; }
}
