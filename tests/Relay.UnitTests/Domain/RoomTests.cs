using Relay.Domain.Connections;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Domain;

/// <summary>
/// The room's rules (<c>Decide*</c>: pure, the event or why not) and its state changes (<c>Apply*</c>), driven as the
/// applier drives them: decided, then applied with the room's next sequence numbers.
/// </summary>
public sealed class RoomTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    [Fact]
    public void Join_assigns_ids_1_2_3_in_join_order()
    {
        var room = Rooms.Create();

        var a = Rooms.Join(room, "a");
        var b = Rooms.Join(room, "b");
        var c = Rooms.Join(room);

        Assert.Equal([1, 2, 3], new[] { a, b, c }.Select(s => s.ClientId));
        Assert.Equal([1, 2, 3], room.Members.ToArray().Select(m => m.ClientId));
        Assert.Same(room, b.Room);
        Assert.Equal("b", b.Name);
        Assert.Null(c.Name);
        Assert.Equal(3, room.ClientCount);
        Assert.Equal(3, room.LastClientId);
    }

    [Fact]
    public void A_decision_changes_nothing_until_it_is_applied()
    {
        var room = Rooms.Create();
        var version = room.Version;

        var first = room.DecideJoin(Rooms.Attempt("a"));
        var second = room.DecideJoin(Rooms.Attempt("b"));

        Assert.True(first.Accepted);
        Assert.Equal(1, first.Event!.ClientId);
        Assert.Equal(1, second.Event!.ClientId);
        Assert.Equal(version, first.Version);
        Assert.Equal(0, room.ClientCount);
        Assert.Equal(version, room.Version);

        Rooms.Apply(room, first.Event, new TestConnection());

        // The second decision saw the room before the first was applied: a store checking versions refuses it.
        Assert.NotEqual(second.Version, room.Version);
        Assert.Equal(2, room.DecideJoin(Rooms.Attempt("b")).Event!.ClientId);
    }

    [Fact]
    public void Ids_are_not_reused_after_members_leave()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        Rooms.Leave(room, b);
        Rooms.Leave(room, a);

        var again = Rooms.Join(room);
        var fresh = Rooms.Join(room);

        Assert.Equal(3, again.ClientId);
        Assert.Equal(4, fresh.ClientId);
    }

    [Fact]
    public void Applying_a_join_of_a_seated_id_seats_nobody()
    {
        var room = Rooms.Create();
        var decision = room.DecideJoin(Rooms.Attempt("a"));
        Rooms.Apply(room, decision.Event!, new TestConnection());

        Assert.Null(room.ApplyJoin(decision.Event!, room.Seq + 1, new TestConnection(), null));
        Assert.Equal(1, room.ClientCount);
    }

    [Fact]
    public void Join_beyond_max_clients_is_full()
    {
        var room = Rooms.Create(maxClients: 2);
        Rooms.Join(room);
        Rooms.Join(room);

        var decision = room.DecideJoin(Rooms.Attempt());

        Assert.Equal(Refusal.Full, decision.Refusal);
        Assert.False(decision.Accepted);
        Assert.Null(decision.Event);
        Assert.Equal(2, room.ClientCount);
    }

    [Fact]
    public void Locked_room_refuses_joins_until_unlocked()
    {
        var room = Rooms.Create();
        Update(room, null, true, null);

        Assert.Equal(Refusal.Locked, room.DecideJoin(Rooms.Attempt()).Refusal);
        Assert.Equal(0, room.ClientCount);

        Update(room, null, false, null);
        Assert.True(room.DecideJoin(Rooms.Attempt()).Accepted);
    }

    [Fact]
    public void Closed_room_refuses_joins()
    {
        var room = Rooms.Create();
        Close(room);

        Assert.Equal(Refusal.RoomClosed, room.DecideJoin(Rooms.Attempt()).Refusal);
        Assert.Null(room.ApplyJoin(new MemberJoined(1, null, null, "local", T0, true, false, null, "t"), room.Seq + 1, new TestConnection(), null));
        Assert.Equal(0, room.ClientCount);
    }

    [Fact]
    public void With_first_assignment_the_first_joiner_becomes_host()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.First);

        var first = room.DecideJoin(Rooms.Attempt());
        var a = Rooms.Apply(room, first.Event!, new TestConnection());
        var second = room.DecideJoin(Rooms.Attempt());
        var b = Rooms.Apply(room, second.Event!, new TestConnection());

        Assert.True(first.Event!.BecomesHost);
        Assert.Equal(2, first.Event.Width);
        Assert.False(second.Event!.BecomesHost);
        Assert.Equal(1, second.Event.Width);
        Assert.Equal(1, room.HostId);
        Assert.True(a.IsHost);
        Assert.False(b.IsHost);
        Assert.Same(a, room.Host);
    }

    [Fact]
    public void With_first_assignment_a_joiner_becomes_host_when_the_room_has_none()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.First);
        var a = Rooms.Join(room);
        Rooms.Join(room);
        Assert.True(room.ApplyHost(null, room.Seq + 1));
        Assert.Null(room.HostId);

        var decision = room.DecideJoin(Rooms.Attempt());
        Rooms.Apply(room, decision.Event!, new TestConnection());

        Assert.True(decision.Event!.BecomesHost);
        Assert.Equal(decision.Event.ClientId, room.HostId);
        Assert.False(a.IsHost);
    }

    [Fact]
    public void With_secret_assignment_nobody_becomes_host_without_the_host_secret()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.Secret);

        var a = Rooms.Join(room);
        Assert.Null(room.HostId);
        var decision = room.DecideJoin(Rooms.Attempt(hostSecret: true));
        var b = Rooms.Apply(room, decision.Event!, new TestConnection());

        Assert.True(decision.Event!.BecomesHost);
        Assert.Equal(2, room.HostId);
        Assert.True(b.IsHost);
        Assert.False(a.IsHost);
    }

    [Theory]
    [InlineData(HostAssignment.First)]
    [InlineData(HostAssignment.Secret)]
    public void Host_secret_demotes_the_previous_host(HostAssignment assignment)
    {
        var room = Rooms.Create(hostAssignment: assignment);
        var previous = Rooms.Join(room, hostSecret: true);
        Assert.True(previous.IsHost);

        var decision = room.DecideJoin(Rooms.Attempt(hostSecret: true));
        var next = Rooms.Apply(room, decision.Event!, new TestConnection());

        Assert.True(decision.Event!.BecomesHost);
        Assert.Equal(2, room.HostId);
        Assert.False(previous.IsHost);
        Assert.True(next.IsHost);
    }

    [Fact]
    public void The_host_leaving_a_mesh_first_room_passes_the_role_to_the_longest_connected()
    {
        var room = Rooms.Create();
        var host = Rooms.Join(room);
        var b = Rooms.Join(room);
        var connection = Rooms.ConnectionOf(host);

        var left = Rooms.Leave(room, host);

        Assert.Equal(new HostSuccession(SuccessionKind.PassTo, 2), left.Succession);
        Assert.Equal(2, left.Width);
        Assert.Equal(2, room.HostId);
        Assert.True(b.IsHost);
        Assert.False(host.IsMember);
        Assert.False(host.IsHost);
        Assert.Null(host.Connection);
        Assert.Equal(1, connection.EndedEpochs);
        Assert.Empty(connection.Closes);
    }

    [Fact]
    public void The_host_leaving_a_mesh_secret_room_leaves_it_without_host()
    {
        var room = Rooms.Create(hostAssignment: HostAssignment.Secret);
        var host = Rooms.Join(room, hostSecret: true);
        Rooms.Join(room);

        var left = Rooms.Leave(room, host);

        Assert.Equal(SuccessionKind.NoHost, left.Succession.Kind);
        Assert.Equal(2, left.Width);
        Assert.Null(room.HostId);
        Assert.False(room.IsClosed);
    }

    [Fact]
    public void The_host_leaving_a_host_room_closes_it()
    {
        var room = Rooms.Create(Rooms.Host);
        var host = Rooms.Join(room);
        Rooms.Join(room);

        var decision = room.DecideLeave(host.ClientId, "left");

        Assert.Equal(SuccessionKind.CloseRoom, decision.Event!.Succession.Kind);
        Assert.Equal(1, decision.Event.Width);
    }

    [Fact]
    public void Removing_a_non_host_keeps_the_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        var b = Rooms.Join(room);

        var left = Rooms.Leave(room, b);

        Assert.Equal(HostSuccession.Unchanged, left.Succession);
        Assert.Equal(1, left.Width);
        Assert.Equal(1, room.HostId);
        Assert.Equal([1], room.Members.ToArray().Select(m => m.ClientId));
    }

    [Fact]
    public void Removing_twice_is_refused_the_second_time_and_ends_the_epoch_once()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var connection = Rooms.ConnectionOf(a);
        var left = Rooms.Leave(room, a);

        Assert.Equal(Refusal.NotMember, room.DecideLeave(a.ClientId, "left").Refusal);
        Assert.Equal((null, null), room.ApplyLeave(left, room.Seq + 1, T0));
        Assert.Equal(1, connection.EndedEpochs);
    }

    [Fact]
    public void Succession_picks_the_earliest_joiner_still_present()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        var c = Rooms.Join(room);
        Rooms.Join(room);
        Rooms.Leave(room, b);

        var left = Rooms.Leave(room, a);

        Assert.Equal(new HostSuccession(SuccessionKind.PassTo, 3), left.Succession);
        Assert.Equal(3, room.HostId);
        Assert.True(c.IsHost);
    }

    [Fact]
    public void Succession_prefers_a_member_that_is_not_away()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var host = Rooms.Join(room, resumable: true);
        var away = Rooms.Join(room, resumable: true);
        var present = Rooms.Join(room);
        Away(room, away, T0);

        var left = Rooms.Leave(room, host);

        Assert.Equal(new HostSuccession(SuccessionKind.PassTo, present.ClientId), left.Succession);
        Assert.True(present.IsHost);
        Assert.False(away.IsHost);
    }

    [Fact]
    public void Succession_passes_to_an_away_member_when_every_other_is_away()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var host = Rooms.Join(room, resumable: true);
        var first = Rooms.Join(room, resumable: true);
        var second = Rooms.Join(room, resumable: true);
        Away(room, second, T0);
        Away(room, first, T0);

        var left = Rooms.Leave(room, host);

        Assert.Equal(new HostSuccession(SuccessionKind.PassTo, first.ClientId), left.Succession);
        Assert.Equal(first.ClientId, room.HostId);
    }

    [Fact]
    public void The_last_member_leaving_as_host_leaves_no_host()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);

        var left = Rooms.Leave(room, a);

        Assert.Equal(SuccessionKind.NoHost, left.Succession.Kind);
        Assert.Null(room.HostId);
    }

    [Fact]
    public void A_kick_by_a_host_is_decided_only_while_it_is_still_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        Rooms.Join(room);
        Rooms.Join(room);

        var kick = room.DecideLeave(3, "kicked", "spam", requiredHostId: 1);
        var byNonHost = room.DecideLeave(3, "kicked", "spam", requiredHostId: 2);

        Assert.True(kick.Accepted);
        Assert.Equal(new MemberLeft(3, "kicked", "spam", HostSuccession.Unchanged), kick.Event);
        Assert.Equal(Refusal.NotHost, byNonHost.Refusal);
    }

    [Fact]
    public void TransferHost_to_a_member_makes_it_host()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);

        var decision = room.DecideTransfer(1, 2);
        Assert.Equal(new HostTransferred(2), decision.Event);
        Assert.True(room.ApplyHost(decision.Event!.HostId, room.Seq + 1));

        Assert.Equal(2, room.HostId);
        Assert.True(b.IsHost);
        Assert.False(a.IsHost);
        Assert.False(room.ApplyHost(2, room.Seq + 1));
    }

    [Fact]
    public void TransferHost_to_a_non_member_is_refused_and_keeps_the_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        var b = Rooms.Join(room);
        Rooms.Leave(room, b);

        Assert.Equal(Refusal.NotMember, room.DecideTransfer(1, 2).Refusal);
        Assert.Equal(Refusal.NotMember, room.DecideTransfer(1, 99).Refusal);
        Assert.Equal(Refusal.NotMember, room.DecideTransfer(1, 0).Refusal);
        Assert.False(room.ApplyHost(2, room.Seq + 1));
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public void TransferHost_from_a_non_host_or_to_oneself_is_refused()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        Rooms.Join(room);

        Assert.Equal(Refusal.NotHost, room.DecideTransfer(2, 1).Refusal);
        Assert.Equal(Refusal.NotHost, room.DecideTransfer(0, 1).Refusal);
        Assert.Equal(Refusal.Unchanged, room.DecideTransfer(1, 1).Refusal);
        Assert.Equal(1, room.HostId);
    }

    [Fact]
    public void Lowering_max_clients_keeps_members_but_refuses_new_ones()
    {
        var room = Rooms.Create(maxClients: 4);
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        Rooms.Join(room);

        Update(room, 2, null, null);

        Assert.Equal(2, room.MaxClients);
        Assert.Equal(3, room.ClientCount);
        Assert.Equal(Refusal.Full, room.DecideJoin(Rooms.Attempt()).Refusal);

        Rooms.Leave(room, a);
        Assert.Equal(Refusal.Full, room.DecideJoin(Rooms.Attempt()).Refusal);
        Rooms.Leave(room, b);
        Assert.True(room.DecideJoin(Rooms.Attempt()).Accepted);
    }

    [Fact]
    public void Update_replaces_what_it_names_and_rejects_max_clients_below_one()
    {
        var room = Rooms.Create();
        var metadata = RoomMetadata.FromJson("""{"map":"x"}""");

        var decision = room.DecideUpdate(null, null, metadata, null);
        Assert.Equal(new RoomUpdated(16, false, metadata, 0), decision.Event);
        room.ApplyUpdate(decision.Event!, room.Seq + 1);

        Assert.Same(metadata, room.Metadata);
        Assert.Throws<ArgumentOutOfRangeException>(() => room.DecideUpdate(0, null, null, null));
        Assert.Equal(16, room.MaxClients);

        Update(room, null, null, null, resumeWindowSeconds: 45);
        Assert.Equal(45, room.ResumeWindowSeconds);
        Assert.True(room.IsSequenced);
        Assert.Same(metadata, room.Metadata);
    }

    [Fact]
    public void Close_returns_the_members_detached_and_a_second_close_returns_none()
    {
        var room = Rooms.Create();
        var a = Rooms.Join(room);
        var b = Rooms.Join(room);
        var (ca, cb) = (Rooms.ConnectionOf(a), Rooms.ConnectionOf(b));

        var decision = room.DecideClose("deleted", CloseCodes.RoomClosed);
        Assert.Equal(new RoomClosed("deleted", CloseCodes.RoomClosed, null), decision.Event);
        var members = room.ApplyClose(room.Seq + 1);

        Assert.Equal(new (Session, IConnection?)[] { (a, ca), (b, cb) }, members);
        Assert.True(room.IsClosed);
        Assert.False(a.IsMember);
        Assert.False(b.IsMember);
        Assert.Null(a.Connection);
        Assert.Equal(0, room.ClientCount);
        Assert.Null(room.HostId);
        Assert.Equal(1, ca.EndedEpochs);
        Assert.Equal(1, cb.EndedEpochs);

        Assert.Equal(Refusal.RoomClosed, room.DecideClose("deleted", CloseCodes.RoomClosed).Refusal);
        Assert.Empty(room.ApplyClose(room.Seq + 1));
    }

    [Fact]
    public void A_host_close_is_decided_only_while_it_is_still_host()
    {
        var room = Rooms.Create();
        Rooms.Join(room);
        Rooms.Join(room);

        Assert.Equal(Refusal.NotHost, room.DecideClose("closed_by_host", CloseCodes.RoomClosed, "bye", requiredHostId: 2).Refusal);
        Assert.Equal(new RoomClosed("closed_by_host", CloseCodes.RoomClosed, "bye"), room.DecideClose("closed_by_host", CloseCodes.RoomClosed, "bye", requiredHostId: 1).Event);
    }

    [Fact]
    public void Closed_room_refuses_every_change()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        Rooms.Join(room, resumable: true);
        Rooms.Join(room);
        Close(room);

        Assert.Equal(Refusal.RoomClosed, room.DecideTransfer(1, 2).Refusal);
        Assert.Equal(Refusal.RoomClosed, room.DecideLeave(2, "left").Refusal);
        Assert.Equal(Refusal.RoomClosed, room.DecideAway(1, T0).Refusal);
        Assert.Equal(Refusal.RoomClosed, room.DecideUpdate(3, null, null, null).Refusal);
        Assert.Equal(Refusal.RoomClosed, room.DecideBack(SecretHash.Digest("token-"), [1], "local", "t", T0).Refusal);
        Assert.False(room.ApplyHost(2, room.Seq + 1));
    }

    [Fact]
    public void EmptySince_is_set_when_the_last_member_leaves_and_cleared_on_join()
    {
        var room = Rooms.Create(createdAt: T0);
        Assert.Equal(T0, room.EmptySince);

        var a = Rooms.Join(room, now: T0.AddMinutes(1));
        Assert.Null(room.EmptySince);
        var b = Rooms.Join(room, now: T0.AddMinutes(2));

        Rooms.Leave(room, a, now: T0.AddMinutes(3));
        Assert.Null(room.EmptySince);

        Rooms.Leave(room, b, now: T0.AddMinutes(4));
        Assert.Equal(T0.AddMinutes(4), room.EmptySince);

        Rooms.Join(room, now: T0.AddMinutes(5));
        Assert.Null(room.EmptySince);
    }

    [Fact]
    public void DecideExpire_closes_only_after_the_ttl()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);

        Assert.Equal(Refusal.Unchanged, room.DecideExpire(T0 + ttl - TimeSpan.FromTicks(1), ttl, "expired").Refusal);
        Assert.False(room.IsClosed);

        var expire = room.DecideExpire(T0 + ttl, ttl, "expired");
        Assert.Equal(new RoomClosed("expired", CloseCodes.RoomClosed, null), expire.Event);
        room.ApplyClose(room.Seq + 1);

        Assert.True(room.IsClosed);
        Assert.False(room.DecideExpire(T0 + ttl + ttl, ttl, "expired").Accepted);
        Assert.Equal(Refusal.RoomClosed, room.DecideJoin(Rooms.Attempt(now: T0 + ttl)).Refusal);
    }

    [Fact]
    public void DecideExpire_never_closes_a_room_with_members()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);
        Rooms.Join(room, now: T0);

        Assert.False(room.DecideExpire(T0.AddDays(1), ttl, "expired").Accepted);
        Assert.False(room.IsClosed);
    }

    [Fact]
    public void DecideExpire_counts_from_when_the_room_became_empty()
    {
        var ttl = TimeSpan.FromMinutes(5);
        var room = Rooms.Create(createdAt: T0);
        var a = Rooms.Join(room, now: T0);
        Rooms.Leave(room, a, now: T0.AddHours(1));

        Assert.False(room.DecideExpire(T0.AddHours(1) + ttl - TimeSpan.FromSeconds(1), ttl, "expired").Accepted);
        Assert.True(room.DecideExpire(T0.AddHours(1) + ttl, ttl, "expired").Accepted);
    }

    [Fact]
    public void DecideAway_keeps_a_resumable_member_for_the_window()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var member = Rooms.Join(room, resumable: true);
        Rooms.Join(room);
        var connection = Rooms.ConnectionOf(member);

        var decision = room.DecideAway(member.ClientId, T0);
        Assert.Equal(new MemberAway(member.ClientId, T0.AddSeconds(30)), decision.Event);
        Assert.Same(member, room.ApplyAway(decision.Event!, room.Seq + 1));

        Assert.True(member.IsAway);
        Assert.True(member.IsMember);
        Assert.Equal(T0.AddSeconds(30), member.AwayUntil);
        Assert.Null(member.Connection);
        Assert.Equal(1, connection.EndedEpochs);
        Assert.Equal(2, room.ClientCount);
        Assert.Equal(Refusal.Unchanged, room.DecideAway(member.ClientId, T0).Refusal);
    }

    [Fact]
    public void DecideAway_refuses_a_member_that_cannot_resume()
    {
        var sequenced = Rooms.Create(resumeWindowSeconds: 30);
        var plain = Rooms.Join(sequenced);
        var unsequenced = Rooms.Create(id: "room-2");
        var resumable = Rooms.Join(unsequenced, resumable: true);

        Assert.Equal(Refusal.NotResumable, sequenced.DecideAway(plain.ClientId, T0).Refusal);
        Assert.False(resumable.Resumable);
        Assert.Equal(Refusal.NotResumable, unsequenced.DecideAway(resumable.ClientId, T0).Refusal);
        Assert.Equal(Refusal.NotMember, sequenced.DecideAway(99, T0).Refusal);
    }

    [Fact]
    public void DecideTimeout_ends_an_away_member_only_after_its_window()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var host = Rooms.Join(room, resumable: true);
        var other = Rooms.Join(room);
        Away(room, host, T0);

        Assert.Equal(Refusal.Unchanged, room.DecideTimeout(host.ClientId, T0.AddSeconds(29), "timeout").Refusal);
        Assert.Equal(Refusal.Unchanged, room.DecideTimeout(other.ClientId, T0.AddHours(1), "timeout").Refusal);

        var decision = room.DecideTimeout(host.ClientId, T0.AddSeconds(30), "timeout");
        Assert.Equal(new MemberLeft(host.ClientId, "timeout", null, new HostSuccession(SuccessionKind.PassTo, other.ClientId)), decision.Event);
    }

    [Fact]
    public void DecideBack_finds_the_member_by_its_token_and_moves_it_to_the_new_connection()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var member = Rooms.Join(room, "ann", resumable: true);
        var old = Rooms.ConnectionOf(member);
        Away(room, member, T0);
        var newDigest = SecretHash.Digest("next-token");

        var decision = room.DecideBack(SecretHash.Digest("token-ann"), newDigest, "local", "join-1", T0.AddSeconds(10));
        Assert.True(decision.Accepted);
        Assert.Equal(member.ClientId, decision.Event!.ClientId);
        Assert.True(decision.Event.WasAway);
        var fresh = new TestConnection();
        var (back, replaced) = room.ApplyBack(decision.Event, room.Seq + 1, fresh, null);

        Assert.Same(member, back);
        Assert.Null(replaced);
        Assert.False(member.IsAway);
        Assert.Same(fresh, member.Connection);
        Assert.Equal(newDigest, member.ResumeTokenDigest);
        Assert.Equal(1, old.EndedEpochs);

        // The token is single use: the old one no longer finds the seat.
        Assert.Equal(Refusal.UnknownToken, room.DecideBack(SecretHash.Digest("token-ann"), newDigest, "local", "join-2", T0.AddSeconds(11)).Refusal);
    }

    [Fact]
    public void DecideBack_while_the_old_connection_is_open_replaces_it()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var member = Rooms.Join(room, "ann", resumable: true);
        var old = Rooms.ConnectionOf(member);

        var decision = room.DecideBack(SecretHash.Digest("token-ann"), SecretHash.Digest("next"), "local", "join-1", T0);
        var (_, replaced) = room.ApplyBack(decision.Event!, room.Seq + 1, new TestConnection(), null);

        Assert.False(decision.Event!.WasAway);
        Assert.Same(old, replaced);
    }

    [Fact]
    public void DecideBack_refuses_an_unknown_token_and_an_ended_window()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        var member = Rooms.Join(room, "ann", resumable: true);
        Away(room, member, T0);

        Assert.Equal(Refusal.UnknownToken, room.DecideBack(SecretHash.Digest("token-bob"), [1], "local", "t", T0).Refusal);
        Assert.Equal(Refusal.UnknownToken, room.DecideBack(SecretHash.Digest("token-ann"), [1], "local", "t", T0.AddSeconds(30)).Refusal);
    }

    [Fact]
    public void A_resumable_join_gets_a_token_only_in_a_sequenced_room()
    {
        var sequenced = Rooms.Create(resumeWindowSeconds: 30);
        var plain = Rooms.Create(id: "room-2");

        var inSequenced = sequenced.DecideJoin(Rooms.Attempt("ann", resumable: true)).Event!;
        var inPlain = plain.DecideJoin(Rooms.Attempt("ann", resumable: true)).Event!;

        Assert.True(inSequenced.Resumable);
        Assert.Equal(SecretHash.Digest("token-ann"), inSequenced.ResumeTokenDigest);
        Assert.False(inPlain.Resumable);
        Assert.Null(inPlain.ResumeTokenDigest);
    }

    [Fact]
    public void Applying_events_advances_the_version_and_the_sequence()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);

        Rooms.Join(room);
        Assert.Equal((1L, 2L), (room.Version, room.Seq));
        Rooms.Join(room);
        Assert.Equal((2L, 3L), (room.Version, room.Seq));
        Assert.Equal(4, room.NextSeq());
        room.AdvanceTo(10);
        room.AdvanceTo(7);
        Assert.Equal((2L, 10L), (room.Version, room.Seq));
    }

    [Fact]
    public void Remote_members_are_counted_while_they_are_connected_elsewhere()
    {
        var room = Rooms.Create(resumeWindowSeconds: 30);
        Rooms.Join(room);
        Assert.False(room.HasRemoteMembers);
        var decision = room.DecideJoin(Rooms.Attempt("remote", resumable: true, node: "node-b"));
        var remote = Rooms.Apply(room, decision.Event!, null, "node-b");

        Assert.True(remote.IsRemote);
        Assert.True(room.HasRemoteMembers);
        Away(room, remote, T0);
        Assert.False(room.HasRemoteMembers);
    }

    [Fact]
    public void MatchSecret_tells_member_host_and_none_apart()
    {
        var room = Rooms.Create();

        Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest(Rooms.Secret)));
        Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(Rooms.HostSecret)));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest("wrong")));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(Rooms.Secret + " ")));
        Assert.Equal(SecretMatch.None, room.MatchSecret(SecretHash.Digest(string.Empty)));
    }

    [Fact]
    public void Constructor_rejects_zero_max_clients_and_a_negative_window()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Rooms.Create(maxClients: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rooms.Create(resumeWindowSeconds: -1));
    }

    [Fact]
    public async Task Concurrent_joins_decided_and_applied_under_the_gate_fill_exactly_the_free_seats_with_distinct_ids()
    {
        const int Seats = 8;
        const int Threads = 32;
        for (var iteration = 0; iteration < 20; iteration++)
        {
            var room = Rooms.Create(maxClients: Seats);

            var results = await Concurrently.RunSyncAsync(Threads, _ =>
            {
                lock (room.Gate)
                {
                    var decision = room.DecideJoin(Rooms.Attempt());
                    Session? seated = decision.Accepted ? Rooms.Apply(room, decision.Event!, new TestConnection()) : null;
                    return (decision.Refusal, seated, decision.Event?.BecomesHost ?? false);
                }
            });

            var joined = results.Where(r => r.Item2 is not null).ToArray();
            Assert.Equal(Seats, joined.Length);
            Assert.All(results.Where(r => r.Item2 is null), r => Assert.Equal(Refusal.Full, r.Item1));
            Assert.Equal(Enumerable.Range(1, Seats), joined.Select(r => r.Item2!.ClientId).Order());
            Assert.Equal(Seats, room.ClientCount);
            Assert.Single(joined, r => r.Item3);
        }
    }

    private static void Update(Room room, int? maxClients, bool? locked, RoomMetadata? metadata, int? resumeWindowSeconds = null)
    {
        var decision = room.DecideUpdate(maxClients, locked, metadata, resumeWindowSeconds);
        Assert.True(decision.Accepted);
        room.ApplyUpdate(decision.Event!, room.Seq + 1);
    }

    private static void Close(Room room)
    {
        Assert.True(room.DecideClose("deleted", CloseCodes.RoomClosed).Accepted);
        room.ApplyClose(room.Seq + 1);
    }

    private static void Away(Room room, Session member, DateTimeOffset now)
    {
        var decision = room.DecideAway(member.ClientId, now);
        Assert.True(decision.Accepted, $"away refused: {decision.Refusal}");
        Assert.Same(member, room.ApplyAway(decision.Event!, room.Seq + 1));
    }
}
