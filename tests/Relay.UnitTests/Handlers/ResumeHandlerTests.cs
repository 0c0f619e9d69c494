using System.Text;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Application.Realtime.Delivery;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Realtime.Resume;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Handlers;

/// <summary>`resume` end to end on one node: membership, the room's history, the replay gate and the handler's answers.</summary>
public sealed class ResumeHandlerTests
{
    private readonly RealtimeContext _ctx;
    private readonly ResumeHandler _handler;
    private readonly BroadcastHandler _broadcast;

    public ResumeHandlerTests()
        : this(new RelayOptions())
    {
    }

    private ResumeHandlerTests(RelayOptions options)
    {
        _ctx = new RealtimeContext(options);
        _handler = new ResumeHandler(_ctx.Resumption);
        _broadcast = new BroadcastHandler(_ctx.Relays);
    }

    private ValueTask<RealtimeResult> Resume(TestClient client, string roomId, string token, long seq, string? rawRef = null) =>
        _handler.Handle(new ResumeCommand(client.Client, roomId, token, seq, rawRef is null ? MessageRef.None : new MessageRef(Encoding.UTF8.GetBytes(rawRef))), CancellationToken.None);

    private async Task Broadcast(TestClient from, string data) =>
        Assert.False((await _broadcast.Handle(new BroadcastCommand(from.Client, Encoding.UTF8.GetBytes(data), FrameKind.Text), CancellationToken.None)).IsError);

    /// <summary>A resumable client seated through `connect`: its token and the seq of its `connected`.</summary>
    private (TestClient Client, string Token, long Seq) JoinResumable(Room room, string name)
    {
        var client = _ctx.NewClient();
        Assert.Equal(Relay.Application.Rooms.Membership.JoinOutcome.Joined, _ctx.Join(client, room, name, resume: true));
        var connected = client.SingleOfType("connected");
        return (client, connected.GetProperty("resumeToken").GetString()!, connected.GetProperty("seq").GetInt64());
    }

    private async Task Drop(TestClient client) =>
        await _ctx.Membership.DisconnectAsync(client.Session!, client.Id, LeaveReasons.Disconnected, mayResume: true, CancellationToken.None);

    [Fact]
    public async Task The_old_connection_of_a_seat_taken_over_by_a_resume_neither_leaves_nor_goes_away_when_it_ends()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var host = _ctx.Joined(room, "host");
        var (old, token, seq) = JoinResumable(room, "half-open");
        var seat = old.Session!;

        // The client comes back on a new connection while the server still holds the old one open.
        var back = _ctx.NewClient();
        Assert.False((await Resume(back, room.Id, token, seq)).IsError);
        Assert.Same(seat, back.Session);
        host.Clear();

        // Then the old connection ends, as a drop and as a close for good: the seat is the new connection's.
        await _ctx.Membership.DisconnectAsync(seat, old.Id, LeaveReasons.Disconnected, mayResume: true, CancellationToken.None);
        Assert.Equal(Relay.Application.Rooms.Membership.MemberChange.UnknownClient, await _ctx.Membership.LeaveAsync(seat, old.Id, LeaveReasons.Disconnected, CancellationToken.None));

        Assert.Empty(host.Frames);
        Assert.Equal(2, room.ClientCount);
        Assert.False(seat.IsAway);
        Assert.Same(seat, back.Session);
    }

    [Fact]
    public async Task A_client_coming_back_gets_resumed_then_what_it_missed_in_order_then_live_events()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var host = _ctx.Joined(room, "host");
        var (gone, token, seq) = JoinResumable(room, "gone");
        await Broadcast(host, "1");
        var seen = gone.Frames.Select(f => f.Json.GetProperty("seq").GetInt64()).Max();
        await Drop(gone);
        await Broadcast(host, "2");
        var late = _ctx.Joined(room, "late");
        await Broadcast(host, "3");

        var back = _ctx.NewClient();
        var result = await Resume(back, room.Id, token, seen, "\"r1\"");
        await Broadcast(host, "4");

        Assert.False(result.IsError);
        Assert.True(seen > seq);
        Assert.Equal(["resumed", "message", "client_joined", "message", "message"], back.Types);
        var resumed = back.Frames[0].Json;
        Assert.Equal(2, resumed.GetProperty("clientId").GetInt32());
        Assert.Equal(3, resumed.GetProperty("missed").GetInt32());
        Assert.Equal("r1", resumed.GetProperty("ref").GetString());
        var newToken = resumed.GetProperty("resumeToken").GetString()!;
        Assert.NotEqual(token, newToken);
        Assert.Equal(["2", "3", "4"], back.Frames.Where(f => f.Type == "message").Select(f => f.Json.GetProperty("data").GetRawText()));
        var seqs = back.Frames.Skip(1).Select(f => f.Json.GetProperty("seq").GetInt64()).ToArray();
        Assert.Equal(seqs.Order(), seqs);
        Assert.True(seqs[0] > seen);
        Assert.IsType<ReplayGate>(back.Session!.Connection);
        Assert.False(back.Session.IsAway);
        Assert.Equal("client_back", host.Frames[^1].Type);
        Assert.Contains(late.Frames, f => f.Type == "client_back");
        Assert.DoesNotContain(gone.Frames, f => f.Type == "message" && f.Json.GetProperty("data").GetRawText() != "1");

        // The token is single use.
        Assert.Equal(ErrorCodes.AlreadyConnected, (await Resume(back, room.Id, newToken, 0)).ErrorCode);
        Assert.Equal(ErrorCodes.ResumeFailed, (await Resume(_ctx.NewClient(), room.Id, token, seen)).ErrorCode);
    }

    [Fact]
    public async Task A_client_coming_back_while_its_old_connection_is_open_replaces_it_with_4005()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        _ctx.Joined(room, "host");
        var (old, token, seq) = JoinResumable(room, "twice");
        var back = _ctx.NewClient();

        Assert.False((await Resume(back, room.Id, token, seq)).IsError);

        Assert.Equal([Relay.Domain.Connections.CloseCodes.Replaced], old.CloseCodes);
        Assert.Null(old.Session);
        Assert.Equal(2, back.ClientId);
        Assert.Equal(0, back.Frames[0].Json.GetProperty("missed").GetInt32());
    }

    [Fact]
    public async Task An_unknown_token_a_seq_ahead_or_an_unknown_room_fail_and_change_nothing()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var host = _ctx.Joined(room, "host");
        var (gone, token, _) = JoinResumable(room, "gone");
        await Drop(gone);
        host.Clear();
        var client = _ctx.NewClient();

        Assert.Equal(ErrorCodes.ResumeFailed, (await Resume(client, room.Id, "not-a-token", 0)).ErrorCode);
        Assert.Equal(ErrorCodes.ResumeFailed, (await Resume(client, room.Id, token, room.Seq + 1)).ErrorCode);
        Assert.Equal(ErrorCodes.ResumeFailed, (await Resume(client, "no-such-room", token, 0)).ErrorCode);

        Assert.Empty(client.Frames);
        Assert.Null(client.Session);
        Assert.Empty(host.Frames);
        Assert.True(room.Find(2)!.IsAway);
        Assert.Equal(1, _ctx.Stats.ResumeFailures["UnknownToken"]);
        Assert.Equal(1, _ctx.Stats.ResumeFailures["SeqAhead"]);
        Assert.Equal(1, _ctx.Stats.ResumeFailures["RoomNotFound"]);
    }

    [Fact]
    public async Task A_return_after_the_window_is_refused()
    {
        var room = _ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        _ctx.Joined(room, "host");
        var (gone, token, seq) = JoinResumable(room, "gone");
        await Drop(gone);
        _ctx.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(ErrorCodes.ResumeFailed, (await Resume(_ctx.NewClient(), room.Id, token, seq)).ErrorCode);
    }

    [Fact]
    public async Task A_return_whose_missed_events_are_no_longer_kept_is_refused()
    {
        var small = new ResumeHandlerTests(new RelayOptions { Resume = { HistoryMessages = 2 } });
        var room = small._ctx.CreateRoom(resumeWindowSeconds: 30).Room;
        var host = small._ctx.Joined(room, "host");
        var (gone, token, seq) = small.JoinResumable(room, "gone");
        await small.Drop(gone);
        for (var i = 0; i < 3; i++)
        {
            await small.Broadcast(host, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var client = small._ctx.NewClient();
        var result = await small.Resume(client, room.Id, token, seq);

        Assert.Equal(ErrorCodes.ResumeFailed, result.ErrorCode);
        Assert.Contains("no longer kept", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(client.Frames);
        Assert.True(room.Find(2)!.IsAway);
    }

    [Fact]
    public async Task A_room_given_a_resume_window_after_it_was_created_lets_its_clients_come_back()
    {
        var room = _ctx.CreateRoom().Room;
        var (change, _) = await _ctx.Manager.UpdateAsync(room.Id, null, null, null, 30, CancellationToken.None);
        Assert.Equal(Relay.Application.Rooms.Membership.MemberChange.Done, change);
        var host = _ctx.Joined(room, "host");
        var (gone, token, seq) = JoinResumable(room, "gone");
        await Drop(gone);
        await Broadcast(host, "1");
        var back = _ctx.NewClient();

        var result = await Resume(back, room.Id, token, seq);

        Assert.False(result.IsError, result.ErrorMessage);
        Assert.Equal(["resumed", "message"], back.Types);
        Assert.Equal(1, back.Frames[0].Json.GetProperty("missed").GetInt32());
    }
}
