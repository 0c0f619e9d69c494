// A small console chat on Relay.Client's realtime client.
//   dotnet run --project examples/ChatConsole -- --server http://localhost:8080 --room <id> --secret <secret> --name alice
// Missing arguments are asked for; --help lists the options. Type a line to broadcast it; /to <id> <text> sends
// to one client; /who, /ping, /kick <id>, /host <id>, /close (host only) and /quit.
// Exit codes: 0 after /quit or the end of input, 1 when the join fails, 2 for a missing or invalid argument.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.Client;

var serverOption = new Option<string>("--server")
{
    Description = "The Relay server's address.",
    HelpName = "url",
    DefaultValueFactory = _ => "http://localhost:8080",
};
var roomOption = new Option<string?>("--room") { Description = "The room id (asked for when missing).", HelpName = "id" };
var secretOption = new Option<string?>("--secret")
{
    Description = "The room's join secret, or its host secret to join as host (asked for when missing).",
    HelpName = "secret",
};
var nameOption = new Option<string?>("--name") { Description = "Your name in the room (asked for when missing; may be left empty).", HelpName = "name" };
var command = new RootCommand(
    $"A console chat in a Relay room. Type a line and press Enter to broadcast it; commands: {Chat.Commands}. " +
    "Reconnects by itself after a lost connection.")
{
    serverOption, roomOption, secretOption, nameOption,
};
command.SetAction((parsed, _) => Chat.RunAsync(
    parsed.GetValue(serverOption)!,
    parsed.GetValue(roomOption),
    parsed.GetValue(secretOption),
    parsed.GetValue(nameOption)));
var parsed = command.Parse(args);
var exitCode = await parsed.InvokeAsync();
// A command line that does not parse has been explained (with the help text): a usage error.
return parsed.Errors.Count > 0 ? Chat.UsageError : exitCode;

/// <summary>One chat session: joins the room, prints what happens in it, and sends what is typed.</summary>
internal sealed class Chat
{
    public const string Commands = "/to <id> <text>, /who, /ping, /kick <id>, /host <id>, /close, /quit";
    private const int JoinFailed = 1;
    public const int UsageError = 2;

    private readonly RelayRealtimeClient _client;
    private readonly Dictionary<int, string?> _names = [];

    private Chat(RelayRealtimeClient client)
    {
        _client = client;
        client.Connected += (_, c) =>
        {
            foreach (var member in c.Clients)
            {
                _names[member.ClientId] = member.Name;
            }

            Console.WriteLine($"* joined room {c.RoomId} as #{c.ClientId}{(c.IsHost ? " (host)" : "")}; here: {string.Join(", ", c.Clients.Select(m => Who(m.ClientId)))}");
        };
        client.ClientJoined += (_, j) =>
        {
            _names[j.ClientId] = j.Name;
            Console.WriteLine($"* {Who(j.ClientId)} joined");
        };
        client.ClientLeft += (_, l) => Console.WriteLine($"* {Who(l.ClientId)} left ({l.Reason})");
        client.HostChanged += (_, h) => Console.WriteLine(h.HostId is { } host ? $"* {Who(host)} is now the host" : "* the room has no host");
        client.DataReceived += (_, m) =>
        {
            var text = m.Data.ValueKind == JsonValueKind.Object && m.Data.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : System.Text.Encoding.UTF8.GetString(m.RawData.Span);
            Console.WriteLine($"<{Who(m.From)}> {text}");
        };
        client.BinaryReceived += (_, b) => Console.WriteLine($"<{Who(b.From)}> [{b.Payload.Length} bytes]");
        // The refusal of the first join is reported once, by ConnectAsync; every other error is printed here.
        client.ErrorReceived += (_, e) =>
        {
            if (client.State != RelayConnectionState.Connecting)
            {
                Console.WriteLine($"! {e.Code}: {e.Message}");
            }
        };
        client.Kicked += (_, k) => Console.WriteLine($"* kicked: {k.Reason}");
        client.RoomClosed += (_, r) => Console.WriteLine($"* room closed: {r.Reason}{(r.Message is null ? "" : $" ({r.Message})")}");
        client.Reconnecting += (_, r) => Console.WriteLine($"* connection lost, reconnecting (attempt {r.Attempt}) in {r.Delay.TotalSeconds:0.0}s...");
        client.Reconnected += (_, r) => Console.WriteLine(r.Resumed
            ? $"* back as #{r.Connected.ClientId}, {((ResumedMessage)r.Connected).Missed} missed messages follow"
            : $"* reconnected as #{r.Connected.ClientId} (was #{r.PreviousClientId})");
        client.ResumeFailed += (_, f) => Console.WriteLine($"* could not resume ({f.Error.Message}); joining again");
        client.ClientAway += (_, a) => Console.WriteLine($"* {Who(a.ClientId)} lost the connection (seat kept)");
        client.ClientBack += (_, b) => Console.WriteLine($"* {Who(b.ClientId)} is back");
    }

    public static async Task<int> RunAsync(string server, string? roomId, string? secret, string? name)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            return Usage($"--server must be an http(s) or ws(s) address such as http://localhost:8080, not '{server}'.");
        }

        roomId = (roomId ?? Prompt("Room id")).Trim();
        if (roomId.Length == 0)
        {
            return Usage("A room id is needed: pass --room <id>, or type it when asked.");
        }

        secret = (secret ?? Prompt("Secret")).Trim();
        if (secret.Length == 0)
        {
            return Usage("The room's secret is needed: pass --secret <secret>, or type it when asked.");
        }

        name = (name ?? Prompt("Your name (optional)")).Trim();
        await using var client = new RelayRealtimeClient(new RelayRealtimeOptions
        {
            ServerUri = serverUri,
            RoomId = roomId,
            Secret = secret,
            Name = name.Length == 0 ? null : name,
            Reconnect = new RelayReconnectOptions { Enabled = true },
        });
        var chat = new Chat(client);
        try
        {
            await client.ConnectAsync();
        }
        catch (RelayRealtimeException ex)
        {
            Console.Error.WriteLine($"Could not join room {roomId}: {ex.Message}");
            return JoinFailed;
        }

        await chat.TalkAsync();
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"ChatConsole: {problem} See --help.");
        return UsageError;
    }

    private static string Prompt(string label)
    {
        Console.Write($"{label}: ");
        return Console.ReadLine() ?? "";
    }

    private string Who(int id) => id == 0 ? "server" : _names.GetValueOrDefault(id) is { } n ? $"{n}#{id}" : $"#{id}";

    /// <summary>Sends what is typed until /quit, the end of input or the end of the connection.</summary>
    private async Task TalkAsync()
    {
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            _ = _client.CloseAsync();
        };
        Console.WriteLine($"Type a message and press Enter. {Commands}");

        var input = Task.Run(Console.ReadLine);
        while (await Task.WhenAny(input, _client.Completion) == input)
        {
            var line = await input;
            if (line is null || line.Trim() == "/quit")
            {
                break;
            }

            try
            {
                await HandleAsync(line.Trim());
            }
            catch (RelayRealtimeException ex)
            {
                Console.WriteLine($"! {ex.Message}");
            }

            input = Task.Run(Console.ReadLine);
        }

        await _client.CloseAsync();
        var end = await _client.Completion;
        Console.WriteLine($"* closed: {end.Reason}{(end.CloseStatus is { } code ? $" (close {code})" : "")}");
    }

    private async Task HandleAsync(string line)
    {
        var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        switch (parts)
        {
            case []:
                return;
            case ["/to", var id, var text] when int.TryParse(id, CultureInfo.InvariantCulture, out var to):
                await _client.SendAsync([to], new ChatLine(text), ChatJson.Default.ChatLine);
                return;
            case ["/who"]:
                Console.WriteLine($"* {string.Join(", ", _client.Members.Select(m => Who(m.ClientId) + (m.IsHost ? " (host)" : "")))}");
                return;
            case ["/ping"]:
                Console.WriteLine($"* pong in {(await _client.PingAsync()).TotalMilliseconds:0.0} ms");
                return;
            case ["/kick", var id] when int.TryParse(id, CultureInfo.InvariantCulture, out var kick):
                await _client.KickAsync(kick);
                return;
            case ["/host", var id] when int.TryParse(id, CultureInfo.InvariantCulture, out var host):
                await _client.TransferHostAsync(host);
                return;
            case ["/close"]:
                await _client.CloseRoomAsync("closed from ChatConsole");
                return;
            case [var command, ..] when command.StartsWith('/'):
                Console.WriteLine($"* commands: {Commands}");
                return;
            default:
                await _client.BroadcastAsync(new ChatLine(line), ChatJson.Default.ChatLine);
                return;
        }
    }
}

/// <summary>A chat line as relayed: <c>{"text":"..."}</c>.</summary>
internal sealed record ChatLine(string Text);

/// <summary>Source-generated JSON for the chat line.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatLine))]
internal sealed partial class ChatJson : JsonSerializerContext;
