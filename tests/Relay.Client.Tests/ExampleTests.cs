using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// The examples (examples/ChatConsole, examples/RoomBackend, examples/WebhookReceiver) as a user runs them: real
/// processes against the real server, with their output read back. Every mistake gets one clear message and a
/// non-zero exit code, never a stack trace.
/// </summary>
public sealed class ExampleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string TokenKey = "example-tests-token-signing-key-0123456789";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("ChatConsole", "--room <id>")]
    [InlineData("RoomBackend", "--api-key <key>")]
    public async Task Help_describes_the_options_and_exits_0(string example, string option)
    {
        var run = await RunAsync(example, ["--help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
        Assert.Contains("--server <url>", run.Output, StringComparison.Ordinal);
        Assert.Contains(option, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Theory]
    [InlineData("ChatConsole", "--rom")]
    [InlineData("RoomBackend", "--max-clients=many")]
    public async Task An_unknown_or_invalid_option_is_a_usage_error(string example, string argument)
    {
        var run = await RunAsync(example, [argument]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChatConsole_refuses_an_empty_room_id_with_one_message(bool asArgument)
    {
        // Either --room "" or an empty answer to the prompt (standard input ends at once).
        string[] arguments = asArgument ? ["--server", fixture.Server.Address.ToString(), "--room", "", "--secret", "some-secret"] : ["--server", fixture.Server.Address.ToString()];

        var run = await RunAsync("ChatConsole", arguments);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("A room id is needed: pass --room <id>", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task ChatConsole_reports_a_wrong_secret_once_and_exits_1()
    {
        var room = await fixture.Server.CreateRoomAsync();

        var run = await RunAsync("ChatConsole", ["--server", fixture.Server.Address.ToString(), "--room", room.Id, "--secret", "not-the-secret", "--name", "eve"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"Could not join room {room.Id}: invalid_secret", run.Error, StringComparison.Ordinal);
        Assert.True(Occurrences(run.Output + run.Error, "invalid_secret") == 1, $"the wrong secret should be reported once:\n{run}");
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task ChatConsole_joins_and_leaves_when_its_input_ends()
    {
        var room = await fixture.Server.CreateRoomAsync();

        var run = await RunAsync("ChatConsole", ["--server", fixture.Server.Address.ToString(), "--room", room.Id, "--secret", room.Secret, "--name", "alice"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"* joined room {room.Id} as #1 (host)", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task RoomBackend_refused_for_want_of_an_api_key_says_to_pass_api_key()
    {
        await using var keyed = await TestServer.StartAsync(withApiKey: true);

        var run = await RunAsync("RoomBackend", ["--server", keyed.Address.ToString()]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Could not create a room: 401", run.Error, StringComparison.Ordinal);
        Assert.Contains("--api-key", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task RoomBackend_with_the_api_key_creates_a_room()
    {
        await using var keyed = await TestServer.StartAsync(withApiKey: true);

        var run = await RunAsync("RoomBackend", ["--server", keyed.Address.ToString(), "--api-key", TestServer.ApiKey, "--protocol", "host", "--max-clients", "3"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("(host, 3 seats)", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task RoomBackend_delete_says_that_it_exits_and_reads_no_further_command()
    {
        var run = await RunAsync("RoomBackend", ["--server", fixture.Server.Address.ToString()], input: "delete\nshow\n");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = run.Output.Split('\n').Single(l => l.StartsWith("Created room ", StringComparison.Ordinal));
        var roomId = created.Split(' ')[2];
        Assert.Contains($"Deleted room {roomId} (its clients got room_closed). RoomBackend exits", run.Output, StringComparison.Ordinal);
        // `show` after `delete` was not run: it would have printed "error 404: ..." after the goodbye.
        // (Not a bare "404" search: the server's port may contain those digits.)
        Assert.DoesNotContain("error 404", run.Output, StringComparison.Ordinal);
        Assert.StartsWith($"Deleted room {roomId} ", run.Output.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        await Assert.ThrowsAsync<RelayApiException>(() => fixture.Server.Api.GetRoomAsync(roomId));
    }

    [Fact]
    public async Task WebhookReceiver_prints_each_event_of_a_real_server_once_and_refuses_forged_and_stale_requests()
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var receiver = ExampleProcess.Start("WebhookReceiver", "--secret", secret, "--urls", "http://127.0.0.1:0");
        const string Listening = "WebhookReceiver listening on ";
        var url = new Uri((await receiver.WaitForLineAsync(l => l.StartsWith(Listening, StringComparison.Ordinal), "the address it listens on"))[Listening.Length..]);
        await using var server = await TestServer.StartAsync(
            withApiKey: false, $"Relay:Webhooks:Url={url}", $"Relay:Webhooks:Secret={secret}", $"Relay:Tokens:SigningKeys:0={TokenKey}");

        // A room, a client with its secret and one with a token, then the room deleted: the events as the example prints them.
        var room = await server.CreateRoomAsync(new CreateRoomRequest { MaxClients = 4 });
        await using (await server.ConnectAsync(room, "alice"))
        {
            await using var bob = await server.ConnectAsync(room, configure: o => o.Token = RelayTokens.Create(TokenKey, room.Id, userId: "user-7", name: "Bob"));
            await server.Api.DeleteRoomAsync(room.Id);
        }

        await receiver.WaitForLineAsync(l => l.EndsWith($" room.closed room={room.Id} reason=\"deleted\"", StringComparison.Ordinal), "room.closed");
        string[] expected =
        [
            $$"""room.created room={{room.Id}} protocol="mesh" maxClients=4 metadata={}""",
            $"""client.joined room={room.Id} clientId=1 name="alice" isHost=true""",
            $"host.changed room={room.Id} hostId=1",
            $"""client.joined room={room.Id} clientId=2 name="Bob" isHost=false userId="user-7" """.TrimEnd(),
            $"""room.closed room={room.Id} reason="deleted" """.TrimEnd(),
        ];
        // Each line is "<the event's RFC 3339 timestamp> <type> room=<id> field=value ...".
        var printed = receiver.Output.Where(l => l.Contains($" room={room.Id}", StringComparison.Ordinal)).ToList();
        Assert.All(printed, l => Assert.True(DateTimeOffset.TryParse(l.Split(' ')[0], CultureInfo.InvariantCulture, out _), l));
        Assert.Equal(expected, printed.Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]));

        // Requests of the test's own: signed with another secret (401), signed but stale (400), then one event twice
        // (acknowledged twice, printed once) and one more, printed after them.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var otherSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        const string Forged = """{"type":"test.forged","timestamp":"2030-01-01T00:00:00Z","data":{"roomId":"check"}}""";
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(http, url, otherSecret, "msg_forged", DateTimeOffset.UtcNow, Forged));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(http, url, secret, "msg_stale", DateTimeOffset.UtcNow.AddMinutes(-10), Forged));
        const string Once = """{"type":"test.once","timestamp":"2030-01-01T00:00:00Z","data":{"roomId":"check","n":1}}""";
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(http, url, secret, "msg_once", DateTimeOffset.UtcNow, Once));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(http, url, secret, "msg_once", DateTimeOffset.UtcNow, Once));
        const string After = """{"type":"test.after","timestamp":"2030-01-01T00:00:00Z","data":{"roomId":"check","n":2}}""";
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(http, url, secret, "msg_after", DateTimeOffset.UtcNow, After));

        // The example prints before it answers, so every line of the earlier requests is there before this one.
        await receiver.WaitForLineAsync(l => l.EndsWith(" test.after room=check n=2", StringComparison.Ordinal), "the last test event");
        Assert.Single(receiver.Output, l => l.EndsWith(" test.once room=check n=1", StringComparison.Ordinal));
        Assert.DoesNotContain(receiver.Output, l => l.Contains("test.forged", StringComparison.Ordinal));
        Assert.Contains(receiver.Errors, l => l.StartsWith("rejected (401): the signature does not verify", StringComparison.Ordinal));
        Assert.Contains(receiver.Errors, l => l.StartsWith("rejected (400): webhook-timestamp is", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new string[0], "a secret is needed: pass --secret")]
    [InlineData(new[] { "--secret", "not-a-whsec-secret" }, "the secret must be whsec_ followed by base64")]
    public async Task WebhookReceiver_without_a_valid_secret_says_how_to_give_one_and_exits_2(string[] arguments, string message)
    {
        var run = await RunAsync("WebhookReceiver", arguments);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage:", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    /// <summary>POSTs <paramref name="body"/> to <paramref name="url"/> signed as Standard Webhooks says, with <paramref name="secret"/>, and returns the status.</summary>
    private static async Task<HttpStatusCode> PostAsync(HttpClient http, Uri url, string secret, string id, DateTimeOffset at, string body)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp);
        request.Headers.Add("webhook-signature", $"v1,{signature}");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static void AssertNoStackTrace(ExampleRun run)
    {
        Assert.DoesNotContain("Unhandled exception", run.Output + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain((run.Output + "\n" + run.Error).Split('\n'), line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Runs `dotnet &lt;example&gt;.dll` (built beside the tests) with <paramref name="input"/> as its whole standard input.</summary>
    private static async Task<ExampleRun> RunAsync(string example, string[] arguments, string input = "")
    {
        using var process = Process.Start(ExampleProcess.StartInfo(example, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ExampleRun(process.ExitCode, await output, await error);
    }

    private sealed record ExampleRun(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit code {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }
}
