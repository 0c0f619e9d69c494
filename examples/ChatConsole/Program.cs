// A small console chat on Relay.Client's realtime client.
//   dotnet run --project examples/ChatConsole -- --server http://localhost:8080 --room <id> --secret <secret> --name alice
// Missing arguments are asked for. Type a line to broadcast it; /to <id> <text> sends to one client;
// /who, /ping, /kick <id>, /host <id>, /close (host only) and /quit.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.Client;

const string Commands = "/to <id> <text>, /who, /ping, /kick <id>, /host <id>, /close, /quit";

var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

var server = options.GetValueOrDefault("server") ?? "http://localhost:8080";
var roomId = options.GetValueOrDefault("room") ?? Prompt("Room id");
var secret = options.GetValueOrDefault("secret") ?? Prompt("Secret");
var name = options.GetValueOrDefault("name") ?? Prompt("Your name (optional)");

await using var client = new RelayRealtimeClient(new RelayRealtimeOptions
{
    ServerUri = new Uri(server),
    RoomId = roomId,
    Secret = secret,
    Name = string.IsNullOrWhiteSpace(name) ? null : name,
    Reconnect = new RelayReconnectOptions { Enabled = true },
});

var names = new Dictionary<int, string?>();
string Who(int id) => id == 0 ? "server" : names.GetValueOrDefault(id) is { } n ? $"{n}#{id}" : $"#{id}";

client.Connected += (_, c) =>
{
    foreach (var member in c.Clients)
    {
        names[member.ClientId] = member.Name;
    }

    Console.WriteLine($"* joined room {c.RoomId} as #{c.ClientId}{(c.IsHost ? " (host)" : "")}; here: {string.Join(", ", c.Clients.Select(m => Who(m.ClientId)))}");
};
client.ClientJoined += (_, j) =>
{
    names[j.ClientId] = j.Name;
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
client.ErrorReceived += (_, e) => Console.WriteLine($"! {e.Code}: {e.Message}");
client.Kicked += (_, k) => Console.WriteLine($"* kicked: {k.Reason}");
client.RoomClosed += (_, r) => Console.WriteLine($"* room closed: {r.Reason}{(r.Message is null ? "" : $" ({r.Message})")}");
client.Reconnecting += (_, r) => Console.WriteLine($"* connection lost, reconnecting (attempt {r.Attempt}) in {r.Delay.TotalSeconds:0.0}s...");
client.Reconnected += (_, r) => Console.WriteLine(r.Resumed
    ? $"* back as #{r.Connected.ClientId}, {((ResumedMessage)r.Connected).Missed} missed messages follow"
    : $"* reconnected as #{r.Connected.ClientId} (was #{r.PreviousClientId})");
client.ResumeFailed += (_, f) => Console.WriteLine($"* could not resume ({f.Error.Message}); joining again");
client.ClientAway += (_, a) => Console.WriteLine($"* {Who(a.ClientId)} lost the connection (seat kept)");
client.ClientBack += (_, b) => Console.WriteLine($"* {Who(b.ClientId)} is back");

try
{
    await client.ConnectAsync();
}
catch (RelayRealtimeException ex)
{
    Console.Error.WriteLine($"Could not join: {ex.Message}");
    return 1;
}

Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    _ = client.CloseAsync();
};
Console.WriteLine($"Type a message and press Enter. {Commands}");

var input = Task.Run(Console.ReadLine);
while (true)
{
    if (await Task.WhenAny(input, client.Completion) != input)
    {
        break;
    }

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

await client.CloseAsync();
var end = await client.Completion;
Console.WriteLine($"* closed: {end.Reason}{(end.CloseStatus is { } code ? $" (close {code})" : "")}");
return 0;

async Task HandleAsync(string line)
{
    var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
    switch (parts)
    {
        case []:
            return;
        case ["/to", var id, var text] when int.TryParse(id, CultureInfo.InvariantCulture, out var to):
            await client.SendAsync([to], new ChatLine(text), ChatJson.Default.ChatLine);
            return;
        case ["/who"]:
            Console.WriteLine($"* {string.Join(", ", client.Members.Select(m => Who(m.ClientId) + (m.IsHost ? " (host)" : "")))}");
            return;
        case ["/ping"]:
            Console.WriteLine($"* pong in {(await client.PingAsync()).TotalMilliseconds:0.0} ms");
            return;
        case ["/kick", var id] when int.TryParse(id, CultureInfo.InvariantCulture, out var kick):
            await client.KickAsync(kick);
            return;
        case ["/host", var id] when int.TryParse(id, CultureInfo.InvariantCulture, out var host):
            await client.TransferHostAsync(host);
            return;
        case ["/close"]:
            await client.CloseRoomAsync("closed from ChatConsole");
            return;
        case [var command, ..] when command.StartsWith('/'):
            Console.WriteLine($"* commands: {Commands}");
            return;
        default:
            await client.BroadcastAsync(new ChatLine(line), ChatJson.Default.ChatLine);
            return;
    }
}

static string Prompt(string label)
{
    Console.Write($"{label}: ");
    return Console.ReadLine()?.Trim() ?? "";
}

/// <summary>A chat line as relayed: <c>{"text":"..."}</c>.</summary>
internal sealed record ChatLine(string Text);

/// <summary>Source-generated JSON for the chat line.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatLine))]
internal sealed partial class ChatJson : JsonSerializerContext;
