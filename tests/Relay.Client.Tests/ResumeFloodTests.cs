using System.Globalization;
using System.Text;
using Relay.Client.Tests.Infrastructure;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// Exactly once and in order under load: a flood to a resumable client whose connection is cut, sent partly while it
/// is away and partly while it comes back, arrives whole, once, in order, with the same client id.
/// </summary>
public sealed class ResumeFloodTests : IAsyncLifetime
{
    private const int WhileAway = 300;
    private const int WhileComingBack = 300;

    private TestServer _server = null!;
    private TcpProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(
            false,
            "Relay:RateLimit:MessagesPerSecond=100000",
            "Relay:RateLimit:Burst=100000",
            "Relay:Resume:HistoryMessages=100000",
            "Relay:Resume:HistoryBytes=100000000");
        _proxy = new TcpProxy(_server.Address);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_flood_around_a_cut_is_delivered_exactly_once_in_order_after_the_resume()
    {
        var room = await _server.CreateRoomAsync();
        await using var alice = await _server.ConnectAsync(room, "alice", ResumeTests.Resumable, via: _proxy.Address);
        await using var bob = await _server.ConnectAsync(room, "bob");
        var id = alice.Id;

        _proxy.Refuse = true;
        _proxy.SeverAll();
        await bob.NextAsync<ClientAwayMessage>(a => a.ClientId == id);
        for (var i = 0; i < WhileAway; i++)
        {
            await bob.Client.SendJsonAsync([id], Number(i));
        }

        _proxy.Refuse = false;
        for (var i = WhileAway; i < WhileAway + WhileComingBack; i++)
        {
            await bob.Client.SendJsonAsync([id], Number(i));
        }

        var seqs = new List<long>();
        for (var expected = 0; expected < WhileAway + WhileComingBack; expected++)
        {
            var message = await alice.NextAsync<DataMessage>();
            Assert.Equal((bob.Id, expected), (message.From, message.Data.GetInt32()));
            seqs.Add(message.Seq!.Value);
        }

        Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.First < p.Second), "seq must increase");
        await bob.Client.SendJsonAsync([id], "\"end\""u8.ToArray());
        Assert.Equal("end", (await alice.NextAsync<DataMessage>()).Data.GetString());
        var reconnected = await alice.NextReconnectedAsync();
        Assert.True(reconnected.Resumed);
        Assert.Equal(id, alice.Client.ClientId);
        Assert.Empty(alice.ResumeFailed);
    }

    private static byte[] Number(int i) => Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture));
}
