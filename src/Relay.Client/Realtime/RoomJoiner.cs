namespace Relay.Client;

/// <summary>
/// One way into the room on a new WebSocket: opens it, starts its receive loop, then sends <c>resume</c> when there is
/// a seat to come back to (and, when the server refuses it, says so and sends a fresh <c>connect</c> on the same
/// socket) or else <c>connect</c>. Hands back the socket, its loop and the server's reply.
/// </summary>
internal sealed class RoomJoiner(
    RelayRealtimeOptions options,
    ResumeState resume,
    MessageInbox inbox,
    PendingRequests pending,
    ClientEvents events,
    CancellationToken lifetime)
{
    private readonly Uri _endpoint = RelayUris.WebSocket(options.ServerUri);

    /// <summary>Joins within <see cref="RelayRealtimeOptions.ConnectTimeout"/>.</summary>
    /// <param name="credentials">What <c>connect</c> presents.</param>
    /// <param name="previousClientId">The client id of the seat to come back to, for the <c>ResumeFailed</c> event.</param>
    /// <param name="attach">Called with the new socket before its first message is read (so handlers can send), and with null when the attempt fails.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <exception cref="RelayRealtimeException">The socket could not be opened, the server refused the join, or the attempt timed out.</exception>
    public async Task<JoinedConnection> JoinAsync(JoinCredentials credentials, int? previousClientId, Action<RealtimeSocket?> attach, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime);
        attempt.CancelAfter(options.ConnectTimeout);
        RealtimeSocket socket;
        try
        {
            socket = await RealtimeSocket.OpenAsync(_endpoint, options, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (TimedOut(cancellationToken))
        {
            throw new RelayRealtimeException($"Opening a WebSocket to {_endpoint} timed out after {options.ConnectTimeout}.", ex);
        }

        attach(socket);
        var loop = socket.ReceiveAsync(inbox.ReceiveAsync);
        try
        {
            var reply = await HandshakeAsync(socket, credentials, previousClientId, attempt.Token).ConfigureAwait(false);
            return new JoinedConnection(socket, loop, reply);
        }
        catch (Exception ex)
        {
            socket.Abort();
            await loop.ConfigureAwait(false);
            attach(null);
            socket.Dispose();
            pending.FailAll();
            if (ex is OperationCanceledException && TimedOut(cancellationToken))
            {
                throw new RelayRealtimeException($"Joining room '{credentials.RoomId}' timed out after {options.ConnectTimeout}.", ex);
            }

            throw;
        }
    }

    private static ErrorMessage Refusal(ServerMessage reply) =>
        reply as ErrorMessage ?? throw new RelayRealtimeException($"The server answered with an unexpected '{reply.Type}'.");

    private async Task<ConnectedMessage> HandshakeAsync(RealtimeSocket socket, JoinCredentials credentials, int? previousClientId, CancellationToken cancellationToken)
    {
        if (resume.Request is { } request)
        {
            var answer = await pending.RequestAsync(socket, Wire.EncodedClientTypes.Resume, request.Write, cancellationToken).ConfigureAwait(false);
            if (answer is ResumedMessage resumed)
            {
                return resumed;
            }

            var refusal = Refusal(answer);
            if (ReconnectPolicy.IsTransient(refusal.Code))
            {
                // The server could not answer now (store out, rate limit): the next attempt tries to resume again.
                throw new RelayRealtimeException(refusal);
            }

            resume.Forget();
            events.RaiseResumeFailed(new RelayResumeFailedEventArgs { Error = refusal, PreviousClientId = previousClientId, LastSeq = request.Seq });
        }

        var reply = await pending.RequestAsync(socket, Wire.EncodedClientTypes.Connect, credentials.ConnectFields(resume.Enabled), cancellationToken).ConfigureAwait(false);
        return reply as ConnectedMessage ?? throw new RelayRealtimeException(Refusal(reply));
    }

    /// <summary>The attempt ran out of time (rather than being cancelled by the caller or by the client's close).</summary>
    private bool TimedOut(CancellationToken cancellationToken) => !cancellationToken.IsCancellationRequested && !lifetime.IsCancellationRequested;
}

/// <summary>A socket in the room: its receive loop (which completes when the connection ends) and the join reply.</summary>
internal sealed record JoinedConnection(RealtimeSocket Socket, Task<SocketEnd> Loop, ConnectedMessage Reply);
