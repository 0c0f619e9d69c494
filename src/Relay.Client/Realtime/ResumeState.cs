using System.Text.Json;

namespace Relay.Client;

/// <summary>
/// What coming back to the seat takes (the room, the latest single-use token, the seq of the last room event
/// processed), and the one place that decides whether a room event is new: one with a seq at or below the last
/// processed was delivered already and is dropped, so no event is delivered twice.
/// </summary>
/// <param name="enabled">Whether joins ask for <c>resume: true</c>.</param>
internal sealed class ResumeState(bool enabled)
{
    private readonly Lock _gate = new();
    private string? _roomId;
    private string? _token;
    private long _lastSeq;
    private long _snapshotSeq;

    /// <summary>Whether joins ask for <c>resume: true</c>.</summary>
    public bool Enabled => enabled;

    /// <summary>Whether this client's seat is resumable: its binary relays carry the 12-byte header.</summary>
    public bool Sequenced
    {
        get
        {
            lock (_gate)
            {
                return _token is not null;
            }
        }
    }

    /// <summary>The seq of the last room event processed (0: none yet).</summary>
    public long LastSeq
    {
        get
        {
            lock (_gate)
            {
                return _lastSeq;
            }
        }
    }

    /// <summary>The <c>resume</c> to send on a new connection, or null when there is no seat to come back to.</summary>
    public ResumeRequest? Request
    {
        get
        {
            lock (_gate)
            {
                return _token is null || _roomId is null ? null : new ResumeRequest(_roomId, _token, _lastSeq);
            }
        }
    }

    /// <summary>
    /// A join reply: <c>connected</c> starts a new seat whose view starts after its <c>seq</c>; <c>resumed</c> keeps the
    /// seat's last seq (the missed events follow) and brings a new token and the seq its room view is as of.
    /// </summary>
    public void Joined(ConnectedMessage reply)
    {
        lock (_gate)
        {
            _token = reply.ResumeToken;
            if (reply is ResumedMessage resumed)
            {
                _snapshotSeq = resumed.Seq ?? _lastSeq;
                return;
            }

            _roomId = reply.RoomId;
            _lastSeq = reply.Seq ?? 0;
            _snapshotSeq = _lastSeq;
        }
    }

    /// <summary>The seat is gone (left, or the server could not resume it): the next join starts afresh.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            _token = null;
            _lastSeq = 0;
            _snapshotSeq = 0;
        }
    }

    /// <summary>Whether <paramref name="message"/> is to be delivered; a numbered room event advances the last seq.</summary>
    public bool Accept(ServerMessage message)
    {
        if (message is not RoomEventMessage { Seq: { } seq })
        {
            return true;
        }

        lock (_gate)
        {
            if (seq <= _lastSeq)
            {
                return false;
            }

            _lastSeq = seq;
            return true;
        }
    }

    /// <summary>Whether the room view the last <c>resumed</c> brought already reflects <paramref name="message"/> (a replayed event).</summary>
    public bool InSnapshot(ServerMessage message)
    {
        if (message is not RoomEventMessage { Seq: { } seq })
        {
            return false;
        }

        lock (_gate)
        {
            return seq <= _snapshotSeq;
        }
    }
}

/// <summary>A <c>resume</c>: come back to the seat <paramref name="Token"/> holds in <paramref name="RoomId"/>, after event <paramref name="Seq"/>.</summary>
internal sealed record ResumeRequest(string RoomId, string Token, long Seq)
{
    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteString("roomId"u8, RoomId);
        writer.WriteString("token"u8, Token);
        writer.WriteNumber("seq"u8, Seq);
    }
}
