using System.Diagnostics;
using Relay.Client.Tests.Infrastructure;

namespace Relay.Client.Tests;

/// <summary>
/// The examples (examples/ChatConsole, examples/RoomBackend) as a user runs them: real processes against the
/// real server, with their output read back. Every mistake gets one clear message and a non-zero exit code,
/// never a stack trace.
/// </summary>
public sealed class ExampleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
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
        // `show` after `delete` was not run: it would have printed a 404.
        Assert.DoesNotContain("404", run.Output, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RelayApiException>(() => fixture.Server.Api.GetRoomAsync(roomId));
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
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, example + ".dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("RELAY_API_KEY");
        using var process = Process.Start(start)!;
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
