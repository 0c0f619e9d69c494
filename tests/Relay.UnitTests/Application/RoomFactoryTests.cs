using System.Text.RegularExpressions;
using Relay.Application.Rooms;
using Relay.Domain.Rooms;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Application;

public sealed partial class RoomFactoryTests
{
    private readonly ManualTimeProvider _time = new();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Base64Url();

    private static RoomSpec Spec(string? id = null, string? secret = null, int maxClients = 16) =>
        new(id, secret, Rooms.Host, HostAssignment.Secret, maxClients, RoomMetadata.FromJson("""{"a":1}"""));

    [Fact]
    public void Secrets_carry_at_least_128_bits_and_differ()
    {
        var factory = new RoomFactory(_time);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 200; i++)
        {
            var created = factory.Create(Spec());
            foreach (var secret in new[] { created.Secret, created.HostSecret })
            {
                Assert.Matches(Base64Url(), secret);
                Assert.True(secret.Length >= 22, $"secret '{secret}' has fewer than 22 base64url characters");
                Assert.True(seen.Add(secret), "a secret was generated twice");
            }
        }
    }

    [Fact]
    public void The_room_gets_the_spec_and_the_clock()
    {
        _time.Advance(TimeSpan.FromHours(2));
        var created = new RoomFactory(_time).Create(Spec("given", "given-secret", 5));
        var room = created.Room;

        Assert.Equal("given", room.Id);
        Assert.Same(Rooms.Host, room.Protocol);
        Assert.Equal(HostAssignment.Secret, room.HostAssignment);
        Assert.Equal(5, room.MaxClients);
        Assert.Equal("""{"a":1}""", room.Metadata.ToString());
        Assert.Equal(ManualTimeProvider.Epoch.AddHours(2), room.CreatedAt);
        Assert.Equal(room.CreatedAt, room.EmptySince);
        Assert.Equal("given-secret", created.Secret);
        Assert.Equal(SecretMatch.Member, room.MatchSecret(SecretHash.Digest("given-secret")));
        Assert.Equal(SecretMatch.Host, room.MatchSecret(SecretHash.Digest(created.HostSecret)));
    }

    [Fact]
    public void A_supplied_secret_never_becomes_the_host_secret()
    {
        var created = new RoomFactory(_time).Create(Spec(secret: "same-secret-1"));

        Assert.NotEqual("same-secret-1", created.HostSecret);
        Assert.Equal(SecretMatch.Member, created.Room.MatchSecret(SecretHash.Digest("same-secret-1")));
    }

    [Theory]
    [InlineData(12, 16)]
    [InlineData(16, 22)]
    [InlineData(24, 32)]
    public void NewToken_is_unpadded_base64url(int bytes, int expectedLength)
    {
        var token = RoomFactory.NewToken(bytes);

        Assert.Equal(expectedLength, token.Length);
        Assert.Matches(Base64Url(), token);
    }

    [Fact]
    public void Each_room_gets_its_own_epoch_even_with_the_same_id()
    {
        var factory = new RoomFactory(_time);

        var first = factory.Create(Spec("same")).Room;
        var again = factory.Create(Spec("same")).Room;

        Assert.Matches(Base64Url(), first.Epoch);
        Assert.Equal(12, first.Epoch.Length);
        Assert.NotEqual(first.Epoch, again.Epoch);
    }

    [Fact]
    public void Creation_times_are_kept_to_the_millisecond_and_the_resume_window_is_the_spec_s()
    {
        _time.Advance(TimeSpan.FromTicks(12_345));
        var room = new RoomFactory(_time).Create(Spec() with { ResumeWindowSeconds = 45 }).Room;

        Assert.Equal(ManualTimeProvider.Epoch.AddMilliseconds(1), room.CreatedAt);
        Assert.Equal(45, room.ResumeWindowSeconds);
        Assert.True(room.IsSequenced);
    }
}
