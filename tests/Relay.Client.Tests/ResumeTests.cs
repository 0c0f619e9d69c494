using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Relay.Client.Tests.Infrastructure;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// Resume after a dropped connection: the TCP proxy cuts the client's connection without a close frame (and refuses
/// new ones until the test lets it back), the server keeps its seat, and the client comes back with the same id and
/// every room event it missed, once and in order, through the same events as live ones.
/// </summary>
public sealed class ResumeTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private readonly TestServer _server = fixture.Server;
    private TcpProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = new TcpProxy(_server.Address);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    internal static void Resumable(RelayRealtimeOptions options)
    {
        options.Resume = true;
        options.Reconnect = new RelayReconnectOptions
        {
            Enabled = true,
            MaxAttempts = null,
            InitialDelay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromMilliseconds(200),
        };
    }

    [Fact]
    public async Task A_cut_connection_resumes_with_the_same_id_and_every_missed_event_once_in_order()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        await alice.NextAsync<ClientJoinedMessage>(j => j.ClientId == bob.Id);
        var id = alice.Id;
        Assert.NotNull(alice.Connected.ResumeToken);
        var joins = 0;
        var resumes = 0;
        alice.Client.Connected += (_, _) => Interlocked.Increment(ref joins);
        alice.Client.Resumed += (_, _) => Interlocked.Increment(ref resumes);

        await CutAsync(alice, bob);
        for (var i = 0; i < 5; i++)
        {
            await bob.Client.BroadcastAsync(Json.Parse(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await bob.Client.SendAsync([id], Json.Parse("\"to alice\""));
        await _server.Api.PushMessageAsync(room.Id, Json.Parse("\"from the backend\""));
        await using var carol = await _server.ConnectAsync(room, "carol");
        var carolId = carol.Id;
        await carol.Client.CloseAsync();
        await bob.NextAsync<ClientLeftMessage>(l => l.ClientId == carolId);
        _proxy.Refuse = false;

        var reconnected = await alice.NextReconnectedAsync();
        var resumed = Assert.IsType<ResumedMessage>(reconnected.Connected);
        Assert.True(reconnected.Resumed);
        Assert.Equal((id, 9), (resumed.ClientId, resumed.Missed));
        Assert.True(resumed.IsHost);
        Assert.Same(resumed, await alice.NextAsync<ResumedMessage>());
        var replayed = new List<RoomEventMessage>();
        for (var n = 0; n < 9; n++)
        {
            replayed.Add(await alice.NextAsync<RoomEventMessage>());
        }

        Assert.Equal(
            ["0", "1", "2", "3", "4", "\"to alice\"", "\"from the backend\"", "client_joined", "client_left"],
            replayed.Select(e => e is DataMessage d ? Json.Text(d.RawData) : e.Type));
        Assert.Equal([bob.Id, bob.Id, bob.Id, bob.Id, bob.Id, bob.Id, 0], replayed.OfType<DataMessage>().Select(d => d.From));
        Assert.Equal(carolId, Assert.IsType<ClientJoinedMessage>(replayed[7]).ClientId);
        AssertIncreasing(replayed.Select(e => e.Seq!.Value));

        // Live again, and nothing was delivered twice: the next room event is the live one.
        await bob.Client.BroadcastAsync(Json.Parse("\"live\""));
        Assert.Equal("\"live\"", Json.Text((await alice.NextAsync<RoomEventMessage>() as DataMessage)!.RawData));
        await alice.Client.BroadcastAsync(Json.Parse("\"me again\""));
        Assert.Equal(id, (await bob.NextAsync<DataMessage>(d => d.From != 0 && Json.Text(d.RawData) == "\"me again\"")).From);

        Assert.Equal(id, alice.Client.ClientId);
        Assert.True(alice.Client.IsHost);
        Assert.Equal([id, bob.Id], alice.Client.Members.Select(m => m.ClientId));
        Assert.Equal((0, 1), (joins, resumes));
        Assert.Empty(alice.ResumeFailed);
        var read = await _server.Api.GetRoomAsync(room.Id);
        Assert.Equal([id, bob.Id], read.Clients!.Select(c => c.ClientId));
        Assert.All(read.Clients!, c => Assert.False(c.Away));
    }

    [Fact]
    public async Task Others_see_away_and_back_and_mark_the_member_away_meanwhile()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        var awayRaised = new TaskCompletionSource<ClientAwayMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var backRaised = new TaskCompletionSource<ClientBackMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.ClientAway += (_, a) => awayRaised.TrySetResult(a);
        bob.Client.ClientBack += (_, b) => backRaised.TrySetResult(b);

        _proxy.Refuse = true;
        _proxy.SeverAll();

        var away = await awayRaised.Task.WaitAsync(Probe.Timeout);
        Assert.Equal(alice.Connected.ClientId, away.ClientId);
        Assert.NotNull(away.Seq);
        Assert.True(bob.Client.Members.Single(m => m.ClientId == away.ClientId).Away);
        Assert.True((await _server.Api.GetRoomAsync(room.Id)).Clients!.Single(c => c.ClientId == away.ClientId).Away);

        _proxy.Refuse = false;
        var back = await backRaised.Task.WaitAsync(Probe.Timeout);
        Assert.Equal(away.ClientId, back.ClientId);
        Assert.True(back.Seq > away.Seq);
        Assert.False(bob.Client.Members.Single(m => m.ClientId == away.ClientId).Away);
        Assert.True((await alice.NextReconnectedAsync()).Resumed);
        Assert.All(alice.Client.Members, m => Assert.False(m.Away));
    }

    [Fact]
    public async Task Binary_relays_carry_the_seq_so_a_resume_replays_only_what_was_missed()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");

        var id = alice.Id;
        await bob.Client.SendBinaryAsync(id, new byte[] { 1, 2, 3 });
        var first = await alice.NextAsync<BinaryMessage>();
        Assert.Equal((bob.Id, "010203"), (first.From, Convert.ToHexString(first.Payload.Span)));
        Assert.True(first.Seq > alice.Connected.Seq);

        await CutAsync(alice, bob);
        await bob.Client.SendBinaryAsync(id, new byte[] { 4, 5 });
        _proxy.Refuse = false;

        var resumed = Assert.IsType<ResumedMessage>((await alice.NextReconnectedAsync()).Connected);
        Assert.Equal(1, resumed.Missed);
        var missed = await alice.NextAsync<BinaryMessage>();
        Assert.Equal((bob.Id, "0405"), (missed.From, Convert.ToHexString(missed.Payload.Span)));
        Assert.True(missed.Seq > first.Seq);
        await bob.Client.BroadcastBinaryAsync(new byte[] { 6 });
        var live = await alice.NextAsync<BinaryMessage>();
        Assert.Equal(new byte[] { 6 }, live.Payload.ToArray());
        Assert.True(live.Seq > missed.Seq);
    }

    [Fact]
    public async Task When_the_window_is_over_the_client_says_so_and_joins_afresh()
    {
        var room = await _server.CreateRoomAsync(new CreateRoomRequest { ResumeWindowSeconds = 1 });
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        await alice.NextAsync<ClientJoinedMessage>();
        var oldId = alice.Id;

        await CutAsync(alice, bob);
        var gone = await bob.NextAsync<ClientLeftMessage>(l => l.ClientId == oldId, TimeSpan.FromSeconds(30));
        Assert.Equal(ClientLeftReasons.Timeout, gone.Reason);
        Assert.Equal(bob.Id, (await bob.NextAsync<HostChangedMessage>()).HostId);
        _proxy.Refuse = false;

        var reconnected = await alice.NextReconnectedAsync();
        Assert.False(reconnected.Resumed);
        Assert.IsNotType<ResumedMessage>(reconnected.Connected);
        var failed = Assert.Single(alice.ResumeFailed);
        Assert.Equal(RelayErrorCodes.ResumeFailed, failed.Error.Code);
        Assert.Equal(oldId, failed.PreviousClientId);
        Assert.True(failed.LastSeq > 0);
        var newId = reconnected.Connected.ClientId;
        Assert.NotEqual(oldId, newId);
        Assert.Equal(newId, alice.Client.ClientId);
        Assert.False(alice.Client.IsHost);
        await bob.NextAsync<ClientJoinedMessage>(j => j.ClientId == newId);
        Assert.Equal(RelayErrorCodes.ResumeFailed, (await alice.NextAsync<ErrorMessage>()).Code);

        // The fresh seat is resumable again.
        Assert.NotNull(reconnected.Connected.ResumeToken);
        await bob.Client.SendAsync([newId], Json.Parse("\"welcome back\""));
        Assert.Equal("welcome back", (await alice.NextAsync<DataMessage>()).Data.GetString());
    }

    [Fact]
    public async Task In_a_room_with_resume_off_a_reconnect_joins_afresh_without_trying_to_resume()
    {
        var room = await _server.CreateRoomAsync(new CreateRoomRequest { ResumeWindowSeconds = 0 });
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        Assert.Null(alice.Connected.ResumeToken);
        var oldId = alice.Id;

        _proxy.SeverAll();

        var reconnected = await alice.NextReconnectedAsync();
        Assert.False(reconnected.Resumed);
        Assert.NotEqual(oldId, reconnected.Connected.ClientId);
        Assert.Empty(alice.ResumeFailed);
        Assert.Equal(ClientLeftReasons.Disconnected, (await bob.NextAsync<ClientLeftMessage>(l => l.ClientId == oldId)).Reason);
    }

    [Fact]
    public async Task A_connection_replaced_by_another_resume_closes_with_4005_and_is_not_reconnected()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        await alice.NextAsync<ClientJoinedMessage>();

        // Someone else presents alice's token on a new connection: the seat moves there.
        using var other = new ClientWebSocket();
        await other.ConnectAsync(new Uri($"ws://{_server.Address.Authority}/v1/websocket"), CancellationToken.None).WaitAsync(Probe.Timeout);
        var resume = JsonSerializer.SerializeToUtf8Bytes(new { type = "resume", roomId = room.Id, token = alice.Connected.ResumeToken, seq = alice.Connected.Seq ?? 0 });
        await other.SendAsync(resume, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        var received = await other.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Probe.Timeout);
        using var resumed = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count));
        Assert.Equal("resumed", resumed.RootElement.GetProperty("type").GetString());
        Assert.Equal(alice.Connected.ClientId, resumed.RootElement.GetProperty("clientId").GetInt32());

        var end = await alice.ClosedAsync();
        Assert.Equal(RelayCloseReason.Replaced, end.Reason);
        Assert.Equal(RelayCloseCodes.Replaced, end.CloseStatus);
        Assert.Empty(alice.Reconnecting);
        Assert.Equal(1, _proxy.Accepted);
        await other.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(Probe.Timeout);
    }

    /// <summary>Cuts <paramref name="resumable"/>'s connection and holds it off until the test sets <see cref="TcpProxy.Refuse"/> back; returns once <paramref name="other"/> saw it away.</summary>
    private async Task CutAsync(Probe resumable, Probe other)
    {
        var id = resumable.Id;
        _proxy.Refuse = true;
        _proxy.SeverAll();
        await other.NextAsync<ClientAwayMessage>(a => a.ClientId == id);
    }

    private static void AssertIncreasing(IEnumerable<long> seqs)
    {
        var all = seqs.ToArray();
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First < p.Second), "seq must increase: " + string.Join(", ", all));
    }
}
