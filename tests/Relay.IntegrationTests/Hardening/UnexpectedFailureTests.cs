using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Relay.Api.Realtime;
using Relay.Domain.Rooms;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// The last-resort guard around each client message: a fault the server did not foresee (here a room protocol
/// whose rule throws) closes only the connection whose message caused it, with 1011, and is logged as one line
/// without a stack trace, at most once per <see cref="UnexpectedFailureLog.ReportInterval"/> for the whole server.
/// </summary>
public sealed class UnexpectedFailureTests
{
    private const int Failures = 8;

    [Trait("Scope", "node")] // a service replaced in one node; logs are per node
    [Fact]
    public async Task A_fault_while_handling_a_message_closes_that_connection_with_1011_and_logs_one_line_per_interval()
    {
        // The server clock stands still until the test moves it (its timers fire only then).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new LogCapture();
        await using var server = await RelayServer.StartAsync([], builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton<IRoomProtocol, FaultyProtocol>();
            builder.Logging.AddProvider(log);
        });
        var room = await server.Api.CreateRoomAsync($$"""{"protocol":"{{FaultyProtocol.ProtocolName}}","maxClients":4}""");
        await using var bystander = await server.ConnectClientAsync();
        await bystander.JoinAsync(room.Id, room.Secret, "bystander");

        for (var i = 0; i < Failures; i++)
        {
            await BroadcastIntoTheFaultAsync(server, room, bystander);
        }

        var reports = FailureReports(log);
        Assert.Single(reports);
        Assert.Equal(LogLevel.Error, reports[0].Level);
        Assert.Null(reports[0].Exception);
        Assert.Contains("failed while handling a message", reports[0].Message, StringComparison.Ordinal);
        Assert.Contains($"{nameof(InvalidOperationException)}: a bug in the broadcast rule", reports[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reports[0].Message);

        // Nothing else was logged for them: no unhandled-exception report with its stack trace.
        Assert.DoesNotContain(log.Entries, e => e.Exception is not null || e.Message.Contains("   at ", StringComparison.Ordinal));

        // One interval later the next failure is reported again, with the count of those left out in between.
        clock.Advance(UnexpectedFailureLog.ReportInterval);
        await BroadcastIntoTheFaultAsync(server, room, bystander);
        reports = FailureReports(log);
        Assert.Equal(2, reports.Count);
        Assert.Contains($"{Failures - 1} more", reports[1].Message, StringComparison.Ordinal);

        await bystander.AssertNothingPendingAsync();
    }

    /// <summary>A new client joins and broadcasts: the protocol's rule throws for the bystander, the sender is closed.</summary>
    private static async Task BroadcastIntoTheFaultAsync(RelayServer server, CreatedRoom room, TestClient bystander)
    {
        await using var sender = await server.ConnectClientAsync();
        await sender.JoinAsync(room.Id, room.Secret, "sender");
        await bystander.ExpectAsync("client_joined");

        await sender.SendJsonAsync(new { type = "broadcast", data = "into the fault" });

        var (status, _) = await sender.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        var left = await bystander.ExpectAsync("client_left");
        Assert.Equal(sender.ClientId, left.GetProperty("clientId").GetInt32());
        await bystander.AssertNothingPendingAsync();
    }

    private static List<LogEntry> FailureReports(LogCapture log) =>
        [.. log.Entries.Where(e => e.Category == typeof(WebSocketHandler).FullName && e.Message.Contains(" failed while ", StringComparison.Ordinal))];

    /// <summary>A room protocol with a bug: its broadcast rule throws.</summary>
    private sealed class FaultyProtocol : IRoomProtocol
    {
        public const string ProtocolName = "faulty";

        public string Name => ProtocolName;

        public Audience BroadcastAudience(int senderId, int? hostId) =>
            throw new InvalidOperationException("a bug in the broadcast rule");

        public bool MaySend(int senderId, int targetId, int? hostId) => true;

        public HostLeftAction OnHostLeft(HostAssignment hostAssignment) => HostLeftAction.NoHost;
    }
}
