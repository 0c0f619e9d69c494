using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Protocols;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using Relay.IntegrationTests.Infrastructure;
using CreatedRoom = Relay.Application.Rooms.CreatedRoom;

namespace Relay.IntegrationTests.Contract;

/// <summary>
/// The room manager over a backplane, as every backplane must let it behave, tested on the services of a started
/// server (taken from its DI container): <see cref="RoomManager"/> for creation, reads, changes and totals, with
/// <see cref="RoomMembership"/> and <see cref="IRoomBackplane"/> beside it. Each test gets fresh servers:
/// <see cref="Manager"/> is where the test makes its changes and <see cref="Peer"/> a second view of the same rooms;
/// for a single in-memory server they are one, for Redis they are the services of two nodes of one cluster, so
/// everything checked through <see cref="Peer"/> is also a check that the state is shared.
/// </summary>
public abstract partial class RoomManagerContract : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private IReadOnlyList<RelayServer> _servers = [];

    protected RelayServer Server => _servers[0];

    protected RelayServer PeerServer => _servers[^1];

    protected View Manager { get; private set; } = null!;

    protected View Peer { get; private set; } = null!;

    protected ProtocolRegistry Protocols { get; private set; } = null!;

    protected CancellationToken Ct => _timeout.Token;

    /// <summary>Every view under test, the writer first.</summary>
    protected IEnumerable<View> Views => ReferenceEquals(Manager, Peer) ? [Manager] : [Manager, Peer];

    /// <summary>Starts the servers under test: one, or two sharing their rooms (the first is where changes are made).</summary>
    protected abstract Task<IReadOnlyList<RelayServer>> StartServersAsync();

    public async Task InitializeAsync()
    {
        _servers = await StartServersAsync();
        Manager = View.Of(Server);
        Peer = ReferenceEquals(Server, PeerServer) ? Manager : View.Of(PeerServer);
        Protocols = Server.Services.GetRequiredService<ProtocolRegistry>();
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_servers.Select(s => s.DisposeAsync().AsTask()));
        _timeout.Dispose();
    }

    /// <summary>One server's room manager with the membership, backplane and factory it works with.</summary>
    protected sealed record View(RoomManager Rooms, RoomMembership Membership, IRoomBackplane Backplane, RoomFactory Factory)
    {
        public static View Of(RelayServer server) => new(
            server.Services.GetRequiredService<RoomManager>(),
            server.Services.GetRequiredService<RoomMembership>(),
            server.Services.GetRequiredService<IRoomBackplane>(),
            server.Services.GetRequiredService<RoomFactory>());

        public ValueTask<(CreateRoomStatus Status, CreatedRoom? Created)> CreateAsync(RoomSpec spec, CancellationToken ct) => Rooms.CreateAsync(spec, ct);

        /// <summary>A room from the factory stored with an explicit room limit (the limit is the backplane's to enforce).</summary>
        public async ValueTask<(CreateRoomStatus Status, CreatedRoom? Created)> CreateAsync(RoomSpec spec, int maxRooms, CancellationToken ct)
        {
            var created = Factory.Create(spec);
            var status = await Backplane.CreateAsync(created.Room, maxRooms, ct);
            return (status, status == CreateRoomStatus.Created ? created : null);
        }

        public ValueTask<Room?> FindAsync(string id, CancellationToken ct) => Rooms.FindAsync(id, ct);

        public ValueTask<RoomPage> ListAsync(int offset, int limit, CancellationToken ct) => Rooms.ListAsync(offset, limit, ct);

        public ValueTask<RoomTotals> GetTotalsAsync(CancellationToken ct) => Rooms.GetTotalsAsync(ct);

        public async ValueTask<Room?> UpdateAsync(string id, int? maxClients, bool? locked, RoomMetadata? metadata, CancellationToken ct)
        {
            var (change, room) = await Rooms.UpdateAsync(id, maxClients, locked, metadata, null, ct);
            Assert.True(change is MemberChange.Done or MemberChange.RoomNotFound, $"update: {change}");
            return room;
        }

        /// <summary>Closes the room through this view's membership (acquiring its copy of the room, as a change does).</summary>
        public async ValueTask<MemberChange> CloseAsync(string id, string reason, string? message, CancellationToken ct)
        {
            var (room, unavailable) = await Membership.AcquireAsync(id, ct);
            if (room is null)
            {
                return unavailable ? MemberChange.Unavailable : MemberChange.RoomNotFound;
            }

            try
            {
                return await Membership.CloseAsync(room, reason, CloseCodes.RoomClosed, message, null, ct);
            }
            finally
            {
                Backplane.Release(room);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{16,64}$")]
    private static partial Regex GeneratedId();

    [GeneratedRegex("^[A-Za-z0-9_-]{22,}$")]
    private static partial Regex GeneratedSecret();

    protected RoomSpec Spec(
        string? id = null,
        string? secret = null,
        string protocol = "mesh",
        HostAssignment hostAssignment = HostAssignment.First,
        int maxClients = 8,
        string metadata = "{}",
        int resumeWindowSeconds = 0) =>
        new(id, secret, Protocols.Get(protocol), hostAssignment, maxClients, RoomMetadata.FromJson(metadata), resumeWindowSeconds);

    protected async Task<CreatedRoom> CreateAsync(RoomSpec spec, View? via = null)
    {
        var (status, created) = await (via ?? Manager).CreateAsync(spec, Ct);
        Assert.True(status == CreateRoomStatus.Created, $"create: {status}");
        Assert.NotNull(created);
        return created;
    }

    private async Task<Room> FindAsync(View view, string id)
    {
        var room = await view.FindAsync(id, Ct);
        Assert.True(room is not null, $"room '{id}' not found through {(ReferenceEquals(view, Manager) ? "the manager" : "the peer")}");
        return room;
    }

    [Fact]
    public void Is_available_when_its_store_is_reachable()
    {
        foreach (var view in Views)
        {
            Assert.True(view.Rooms.IsAvailable);
            Assert.True(view.Backplane.IsAvailable);
        }
    }

    [Fact]
    public async Task Create_generates_an_unguessable_id_and_two_distinct_secrets()
    {
        var created = await CreateAsync(Spec(protocol: "host", hostAssignment: HostAssignment.Secret, maxClients: 5, metadata: "{\"map\": \"harbor\" }"));
        var again = await CreateAsync(Spec());

        Assert.Matches(GeneratedId(), created.Room.Id);
        Assert.Matches(GeneratedSecret(), created.Secret);
        Assert.Matches(GeneratedSecret(), created.HostSecret);
        Assert.NotEqual(created.Secret, created.HostSecret);
        Assert.NotEqual(created.Room.Id, again.Room.Id);
        Assert.NotEqual(created.Secret, again.Secret);

        foreach (var view in Views)
        {
            var room = await FindAsync(view, created.Room.Id);
            Assert.Equal(created.Room.Id, room.Id);
            Assert.Equal("host", room.Protocol.Name);
            Assert.Equal(HostAssignment.Secret, room.HostAssignment);
            Assert.Equal(5, room.MaxClients);
            Assert.False(room.Locked);
            Assert.Equal("{\"map\": \"harbor\" }", room.Metadata.ToString());
            Assert.Equal(0, room.ClientCount);
            Assert.Null(room.HostId);
            Assert.Equal(created.Room.CreatedAt, room.CreatedAt);
            Assert.True((DateTimeOffset.UtcNow - room.CreatedAt).Duration() < TimeSpan.FromMinutes(1), $"createdAt {room.CreatedAt:O} is not now");
        }
    }

    [Fact]
    public async Task Secrets_are_kept_as_hashes_that_match_only_the_presented_secret()
    {
        var created = await CreateAsync(Spec());

        foreach (var room in new[] { created.Room, await FindAsync(Manager, created.Room.Id), await FindAsync(Peer, created.Room.Id) })
        {
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest(created.Secret)));
            Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(created.HostSecret)));
            Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(created.Secret + "x")));
            Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(string.Empty)));
        }
    }

    [Fact]
    public async Task Create_honours_a_supplied_id_and_secret()
    {
        var created = await CreateAsync(Spec(id: "match-42_x", secret: "supplied-secret"));

        Assert.Equal("match-42_x", created.Room.Id);
        Assert.Equal("supplied-secret", created.Secret);
        Assert.NotEqual("supplied-secret", created.HostSecret);
        foreach (var view in Views)
        {
            var room = await FindAsync(view, "match-42_x");
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest("supplied-secret")));
            Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(created.HostSecret)));
        }
    }

    [Fact]
    public async Task A_taken_id_is_refused_through_every_view_and_the_room_keeps_its_secrets()
    {
        var original = await CreateAsync(Spec(id: "taken", secret: "original-secret", maxClients: 3));

        foreach (var view in Views)
        {
            var (status, created) = await view.CreateAsync(Spec(id: "taken", secret: "intruder-secret", maxClients: 9), Ct);
            Assert.Equal(CreateRoomStatus.IdTaken, status);
            Assert.Null(created);
        }

        foreach (var view in Views)
        {
            var room = await FindAsync(view, "taken");
            Assert.Equal(3, room.MaxClients);
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest("original-secret")));
            Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(original.HostSecret)));
            Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest("intruder-secret")));
        }

        Assert.Equal(1, (await Manager.ListAsync(0, 50, Ct)).Total);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_id_create_it_exactly_once()
    {
        var views = Views.ToArray();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            (Secret: $"racing-secret-{i:D2}", Outcome: (await views[i % views.Length].CreateAsync(Spec(id: "contested", secret: $"racing-secret-{i:D2}"), Ct)).Status))))
            .WaitAsync(Timeout);

        var winners = outcomes.Where(o => o.Outcome == CreateRoomStatus.Created).ToArray();
        Assert.Single(winners);
        Assert.Equal(15, outcomes.Count(o => o.Outcome == CreateRoomStatus.IdTaken));
        foreach (var view in views)
        {
            var room = await FindAsync(view, "contested");
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest(winners[0].Secret)));
        }
    }

    [Fact]
    public async Task Creates_stop_at_MaxRooms_even_when_concurrent_and_a_closed_room_frees_its_seat()
    {
        var views = Views.ToArray();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
            await views[i % views.Length].CreateAsync(Spec(), maxRooms: 5, Ct))))
            .WaitAsync(Timeout);

        Assert.Equal(5, outcomes.Count(o => o.Status == CreateRoomStatus.Created));
        Assert.Equal(15, outcomes.Count(o => o.Status == CreateRoomStatus.LimitReached));
        Assert.All(outcomes.Where(o => o.Status == CreateRoomStatus.LimitReached), o => Assert.Null(o.Created));
        foreach (var view in views)
        {
            Assert.Equal(5, (await view.GetTotalsAsync(Ct)).Rooms);
            Assert.Equal(5, (await view.ListAsync(0, 50, Ct)).Total);
        }

        var victim = await FindAsync(Manager, outcomes.First(o => o.Created is not null).Created!.Room.Id);
        Assert.Equal(MemberChange.Done, await Manager.Rooms.DeleteAsync(victim.Id, Ct));

        Assert.Equal(CreateRoomStatus.Created, (await Peer.CreateAsync(Spec(), maxRooms: 5, Ct)).Status);
        foreach (var view in views)
        {
            Assert.Equal(CreateRoomStatus.LimitReached, (await view.CreateAsync(Spec(), maxRooms: 5, Ct)).Status);
        }
    }

    [Fact]
    public async Task A_refused_duplicate_id_does_not_hold_a_seat()
    {
        Assert.Equal(CreateRoomStatus.Created, (await Manager.CreateAsync(Spec(id: "only"), maxRooms: 2, Ct)).Status);
        Assert.Equal(CreateRoomStatus.IdTaken, (await Peer.CreateAsync(Spec(id: "only"), maxRooms: 2, Ct)).Status);
        Assert.Equal(CreateRoomStatus.IdTaken, (await Manager.CreateAsync(Spec(id: "only"), maxRooms: 2, Ct)).Status);

        Assert.Equal(CreateRoomStatus.Created, (await Peer.CreateAsync(Spec(id: "second"), maxRooms: 2, Ct)).Status);
        Assert.Equal(CreateRoomStatus.LimitReached, (await Manager.CreateAsync(Spec(id: "third"), maxRooms: 2, Ct)).Status);
    }

    [Fact]
    public async Task Find_of_an_unknown_id_is_null()
    {
        await CreateAsync(Spec(id: "known"));

        foreach (var view in Views)
        {
            Assert.Null(await view.FindAsync("unknown", Ct));
            Assert.Null(await view.FindAsync("KNOWN", Ct));
        }
    }

    [Fact]
    public async Task List_returns_rooms_in_creation_order_with_offset_limit_and_total()
    {
        var views = Views.ToArray();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // Created alternately through each view: the order is the cluster's, not one node's.
            ids.Add((await CreateAsync(Spec(id: $"room-{4 - i}"), views[i % views.Length])).Room.Id);
        }

        foreach (var view in views)
        {
            var all = await view.ListAsync(0, 50, Ct);
            Assert.Equal(5, all.Total);
            Assert.Equal(ids, all.Items.Select(r => r.Id));

            var middle = await view.ListAsync(1, 2, Ct);
            Assert.Equal(5, middle.Total);
            Assert.Equal(ids.Skip(1).Take(2), middle.Items.Select(r => r.Id));

            var last = await view.ListAsync(4, 10, Ct);
            Assert.Equal(ids.Skip(4), last.Items.Select(r => r.Id));

            var beyond = await view.ListAsync(5, 10, Ct);
            Assert.Empty(beyond.Items);
            Assert.Equal(5, beyond.Total);
        }

        Assert.Equal(MemberChange.Done, await Manager.Rooms.DeleteAsync(ids[1], Ct));
        var afterClose = await Peer.ListAsync(0, 50, Ct);
        Assert.Equal(4, afterClose.Total);
        Assert.Equal(ids.Where((_, i) => i != 1), afterClose.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Update_changes_max_clients_lock_and_metadata_and_leaves_absent_fields_alone()
    {
        var created = await CreateAsync(Spec(maxClients: 4, metadata: "{\"v\":1}"));
        var id = created.Room.Id;

        var updated = await Manager.UpdateAsync(id, 7, true, RoomMetadata.FromJson("{\"v\": 2}"), Ct);
        Assert.NotNull(updated);
        Assert.Equal(7, updated.MaxClients);
        Assert.True(updated.Locked);
        Assert.Equal("{\"v\": 2}", updated.Metadata.ToString());
        foreach (var view in Views)
        {
            var room = await FindAsync(view, id);
            Assert.Equal(7, room.MaxClients);
            Assert.True(room.Locked);
            Assert.Equal("{\"v\": 2}", room.Metadata.ToString());
        }

        var unlocked = await Peer.UpdateAsync(id, null, false, null, Ct);
        Assert.NotNull(unlocked);
        Assert.False(unlocked.Locked);
        Assert.Equal(7, unlocked.MaxClients);
        Assert.Equal("{\"v\": 2}", unlocked.Metadata.ToString());

        var shrunk = await Manager.UpdateAsync(id, 1, null, null, Ct);
        Assert.NotNull(shrunk);
        foreach (var view in Views)
        {
            var room = await FindAsync(view, id);
            Assert.Equal(1, room.MaxClients);
            Assert.False(room.Locked);
            Assert.Equal("{\"v\": 2}", room.Metadata.ToString());
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest(created.Secret)));
        }

        foreach (var view in Views)
        {
            Assert.Null(await view.UpdateAsync("no-such-room", 2, true, null, Ct));
            Assert.Equal(MemberChange.RoomNotFound, (await view.Rooms.UpdateAsync("no-such-room", 2, true, null, null, Ct)).Change);
        }
    }

    [Fact]
    public async Task Close_unregisters_the_room_once_and_a_second_close_finds_no_room()
    {
        var created = await CreateAsync(Spec(id: "doomed"));
        await CreateAsync(Spec(id: "survivor"));

        Assert.Equal(MemberChange.Done, await Manager.Rooms.DeleteAsync(created.Room.Id, Ct));

        foreach (var view in Views)
        {
            Assert.Null(await view.FindAsync("doomed", Ct));
            Assert.Null(await view.UpdateAsync("doomed", 3, null, null, Ct));
            Assert.Equal(["survivor"], (await view.ListAsync(0, 50, Ct)).Items.Select(r => r.Id));
            Assert.Equal(1, (await view.GetTotalsAsync(Ct)).Rooms);
        }

        foreach (var view in Views)
        {
            Assert.Equal(MemberChange.RoomNotFound, await view.Rooms.DeleteAsync(created.Room.Id, Ct));
        }
    }

    [Fact]
    public async Task A_room_closed_through_the_peer_is_gone_everywhere_and_its_id_is_free_again()
    {
        await CreateAsync(Spec(id: "shared", secret: "first-secret"));
        await FindAsync(Peer, "shared");

        Assert.Equal(MemberChange.Done, await Peer.CloseAsync("shared", RoomClosedReasons.ClosedByHost, "bye", Ct));

        foreach (var view in Views)
        {
            Assert.Null(await view.FindAsync("shared", Ct));
        }

        var reborn = await CreateAsync(Spec(id: "shared", secret: "second-secret"));
        foreach (var view in Views)
        {
            var room = await FindAsync(view, "shared");
            Assert.Equal(reborn.Room.CreatedAt, room.CreatedAt);
            Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest("second-secret")));
            Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest("first-secret")));
        }
    }

    [Fact]
    public async Task Totals_count_rooms_by_protocol_and_clients_of_every_room()
    {
        var mesh = await CreateAsync(Spec(protocol: "mesh"));
        await CreateAsync(Spec(protocol: "mesh"));
        var host = await CreateAsync(Spec(protocol: "host"), Peer);

        foreach (var view in Views)
        {
            var empty = await view.GetTotalsAsync(Ct);
            Assert.Equal(3, empty.Rooms);
            Assert.Equal(0, empty.Clients);
            Assert.Equal(2, empty.RoomsByProtocol.GetValueOrDefault("mesh"));
            Assert.Equal(1, empty.RoomsByProtocol.GetValueOrDefault("host"));
        }

        // Members join over real WebSockets (through both servers when there are two).
        await using var first = await Server.ConnectClientAsync();
        await first.JoinAsync(mesh.Room.Id, mesh.Secret, "first");
        await using var second = await PeerServer.ConnectClientAsync();
        await second.JoinAsync(mesh.Room.Id, mesh.Secret, "second");
        await using var third = await PeerServer.ConnectClientAsync();
        await third.JoinAsync(host.Room.Id, host.Secret, "third");

        foreach (var view in Views)
        {
            var totals = await view.GetTotalsAsync(Ct);
            Assert.Equal(3, totals.Rooms);
            Assert.Equal(3, totals.Clients);
            var room = await FindAsync(view, mesh.Room.Id);
            Assert.Equal(2, room.ClientCount);
            Assert.Equal(first.ClientId, room.HostId);
        }

        await second.SendJsonAsync(new { type = "leave" });
        await second.ExpectAsync("left");
        await first.ExpectAsync("client_joined");
        await first.ExpectAsync("client_left");

        foreach (var view in Views)
        {
            Assert.Equal(2, (await view.GetTotalsAsync(Ct)).Clients);
            Assert.Equal(1, (await FindAsync(view, mesh.Room.Id)).ClientCount);
        }
    }

    [Fact]
    public async Task Sequenced_relays_carry_their_payloads_as_handed_over_even_when_the_callers_reuse_their_buffers_at_once()
    {
        // A relay's payload is a slice of the receive buffer, which is reused as soon as the handler returns.
        const int Senders = 4;
        const int PerSender = 200;
        var created = await CreateAsync(Spec(resumeWindowSeconds: 30));
        await using var client = await Server.ConnectClientAsync();
        await client.JoinAsync(created.Room.Id, created.Secret, "reader");
        var (room, _) = await Manager.Membership.AcquireAsync(created.Room.Id, Ct);
        Assert.NotNull(room);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(() =>
            {
                var buffer = new byte[64];
                for (var n = 0; n < PerSender; n++)
                {
                    var length = System.Text.Encoding.UTF8.GetBytes($"{{\"s\":{sender},\"n\":{n}}}", buffer);
                    Assert.True(Manager.Backplane.Sequence(room, new RelayMessage(Relay.Domain.Frames.FrameKind.Text, 0, buffer.AsMemory(0, length), Audience.Everyone), null));
                    buffer.AsSpan().Fill((byte)' ');
                }
            }))).WaitAsync(Timeout);

            var next = new int[Senders];
            for (var i = 0; i < Senders * PerSender; i++)
            {
                var data = (await client.ExpectAsync("message")).GetProperty("data");
                var sender = data.GetProperty("s").GetInt32();
                Assert.Equal(next[sender]++, data.GetProperty("n").GetInt32());
            }
        }
        finally
        {
            Manager.Backplane.Release(room);
        }
    }
}
