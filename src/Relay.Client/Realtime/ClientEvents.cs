namespace Relay.Client;

/// <summary>
/// The handlers of <see cref="RelayRealtimeClient"/>'s events and their raising: each server message as
/// <see cref="MessageReceived"/> and then its typed event, and the client's own events. A handler that throws is
/// reported through <see cref="EventHandlerFailed"/> and does not disturb the client.
/// </summary>
/// <param name="sender">The client, passed to every handler as the sender.</param>
internal sealed class ClientEvents(object sender)
{
    public event EventHandler<ServerMessage>? MessageReceived;

    public event EventHandler<ConnectedMessage>? Connected;

    public event EventHandler<ResumedMessage>? Resumed;

    public event EventHandler<ClientJoinedMessage>? ClientJoined;

    public event EventHandler<ClientLeftMessage>? ClientLeft;

    public event EventHandler<ClientAwayMessage>? ClientAway;

    public event EventHandler<ClientBackMessage>? ClientBack;

    public event EventHandler<HostChangedMessage>? HostChanged;

    public event EventHandler<DataMessage>? DataReceived;

    public event EventHandler<BinaryMessage>? BinaryReceived;

    public event EventHandler<KickedMessage>? Kicked;

    public event EventHandler<RoomClosedMessage>? RoomClosed;

    public event EventHandler<LeftMessage>? Left;

    public event EventHandler<PongMessage>? Pong;

    public event EventHandler<ErrorMessage>? ErrorReceived;

    public event EventHandler<RelayReconnectingEventArgs>? Reconnecting;

    public event EventHandler<RelayReconnectedEventArgs>? Reconnected;

    public event EventHandler<RelayResumeFailedEventArgs>? ResumeFailed;

    public event EventHandler<RelayClosedEventArgs>? Closed;

    public event EventHandler<Exception>? EventHandlerFailed;

    /// <summary>Raises <see cref="MessageReceived"/>, then the typed event of <paramref name="message"/>.</summary>
    public void RaiseMessage(ServerMessage message)
    {
        Raise(MessageReceived, message);
        switch (message)
        {
            case DataMessage data: Raise(DataReceived, data); break;
            case BinaryMessage binary: Raise(BinaryReceived, binary); break;
            case ResumedMessage resumed: Raise(Resumed, resumed); break;
            case ConnectedMessage connected: Raise(Connected, connected); break;
            case ClientJoinedMessage joined: Raise(ClientJoined, joined); break;
            case ClientLeftMessage left: Raise(ClientLeft, left); break;
            case ClientAwayMessage away: Raise(ClientAway, away); break;
            case ClientBackMessage back: Raise(ClientBack, back); break;
            case HostChangedMessage host: Raise(HostChanged, host); break;
            case KickedMessage kicked: Raise(Kicked, kicked); break;
            case RoomClosedMessage closed: Raise(RoomClosed, closed); break;
            case LeftMessage left: Raise(Left, left); break;
            case PongMessage pong: Raise(Pong, pong); break;
            case ErrorMessage error: Raise(ErrorReceived, error); break;
        }
    }

    public void RaiseReconnecting(RelayReconnectingEventArgs args) => Raise(Reconnecting, args);

    public void RaiseReconnected(RelayReconnectedEventArgs args) => Raise(Reconnected, args);

    public void RaiseResumeFailed(RelayResumeFailedEventArgs args) => Raise(ResumeFailed, args);

    public void RaiseClosed(RelayClosedEventArgs args) => Raise(Closed, args);

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(sender, args);
        }
        catch (Exception ex)
        {
            try
            {
                EventHandlerFailed?.Invoke(sender, ex);
            }
            catch (Exception)
            {
                // A failing failure handler has nowhere left to report to.
            }
        }
    }
}
