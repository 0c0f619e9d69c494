// A backend on Relay.Client's REST client: creates a room, prints how to join it, then takes commands.
//   dotnet run --project examples/RoomBackend -- --server http://localhost:8080 [--api-key KEY] [--protocol mesh|host] [--max-clients 8]
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Relay.Client;

const string Commands = "Commands: push <text> | to <clientId> <text> | show | lock | unlock | kick <clientId> | list | summary | delete | quit";

var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

var serverText = options.GetValueOrDefault("server") ?? "http://localhost:8080";
var server = new Uri(serverText);
using var api = new RelayApiClient(server, options.GetValueOrDefault("api-key") ?? Environment.GetEnvironmentVariable("RELAY_API_KEY"));

CreatedRoom room;
try
{
    room = await api.CreateRoomAsync(new CreateRoomRequest
    {
        Protocol = options.GetValueOrDefault("protocol"),
        MaxClients = options.TryGetValue("max-clients", out var max) ? int.Parse(max, CultureInfo.InvariantCulture) : null,
        Metadata = JsonSerializer.SerializeToElement(new RoomInfo("RoomBackend example", DateTimeOffset.UtcNow), BackendJson.Default.RoomInfo),
    });
}
catch (RelayApiException ex)
{
    Console.Error.WriteLine($"Could not create a room: {ex.Status} {ex.Title}: {ex.Detail}");
    foreach (var (field, messages) in ex.Errors)
    {
        Console.Error.WriteLine($"  {field}: {string.Join("; ", messages)}");
    }

    return 1;
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"Could not reach {serverText}: {ex.Message}");
    return 1;
}

Console.WriteLine($"Created room {room.Id} ({room.Protocol}, {room.MaxClients} seats)");
Console.WriteLine($"  secret:      {room.Secret}");
Console.WriteLine($"  host secret: {room.HostSecret}");
Console.WriteLine();
Console.WriteLine("Join it from two terminals (the first to join becomes host):");
Console.WriteLine($"  dotnet run --project examples/ChatConsole -- --server {serverText} --room {room.Id} --secret {room.Secret} --name alice");
Console.WriteLine($"  dotnet run --project examples/ChatConsole -- --server {serverText} --room {room.Id} --secret {room.Secret} --name bob");
Console.WriteLine();
await ListRoomsAsync();
Console.WriteLine();
Console.WriteLine(Commands);

while (Console.ReadLine() is { } line)
{
    var parts = line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
    try
    {
        switch (parts)
        {
            case ["push", .. var text]:
                var everyone = await api.PushMessageAsync(room.Id, Notice(string.Join(' ', text)), BackendJson.Default.Notice);
                Console.WriteLine($"pushed to {everyone} client(s)");
                break;
            case ["to", var id, var text] when int.TryParse(id, CultureInfo.InvariantCulture, out var to):
                var one = await api.PushMessageAsync(room.Id, Notice(text), BackendJson.Default.Notice, to: [to]);
                Console.WriteLine($"pushed to {one} client(s)");
                break;
            case ["show"]:
                var current = await api.GetRoomAsync(room.Id);
                Console.WriteLine($"{current.Id}: {current.ClientCount}/{current.MaxClients} clients, host {current.HostId?.ToString(CultureInfo.InvariantCulture) ?? "none"}{(current.Locked ? ", locked" : "")}");
                foreach (var client in current.Clients ?? [])
                {
                    Console.WriteLine($"  #{client.ClientId} {client.Name ?? "(no name)"}{(client.IsHost ? " (host)" : "")} since {client.ConnectedAt:HH:mm:ss}");
                }

                break;
            case ["lock" or "unlock"]:
                var updated = await api.UpdateRoomAsync(room.Id, new UpdateRoomRequest { Locked = parts[0] == "lock" });
                Console.WriteLine(updated.Locked ? "locked: new clients are refused" : "unlocked");
                break;
            case ["kick", var id] when int.TryParse(id, CultureInfo.InvariantCulture, out var kick):
                await api.KickClientAsync(room.Id, kick);
                Console.WriteLine($"kicked #{kick}");
                break;
            case ["list"]:
                await ListRoomsAsync();
                break;
            case ["summary"]:
                var summary = await api.GetSummaryAsync();
                Console.WriteLine($"{summary.Rooms} rooms, {summary.Clients} clients, {summary.MessagesRelayed} messages relayed, up {summary.UptimeSeconds} s");
                break;
            case ["delete"]:
                await api.DeleteRoomAsync(room.Id);
                Console.WriteLine($"deleted {room.Id}");
                return 0;
            case ["quit"]:
                return 0;
            case []:
                break;
            default:
                Console.WriteLine(Commands);
                break;
        }
    }
    catch (RelayApiException ex)
    {
        Console.WriteLine($"error {ex.Status}: {ex.Title} {ex.Detail}");
    }
}

return 0;

async Task ListRoomsAsync()
{
    var page = await api.ListRoomsAsync(limit: 10);
    Console.WriteLine($"Rooms on the server ({page.Total} in all, first {page.Items.Count}):");
    foreach (var r in page.Items)
    {
        Console.WriteLine($"  {r.Id}  {r.Protocol,-4}  {r.ClientCount}/{r.MaxClients}{(r.Locked ? "  locked" : "")}");
    }
}

static Notice Notice(string text) => new(text, "RoomBackend");

/// <summary>The room's metadata.</summary>
internal sealed record RoomInfo(string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A pushed notice; ChatConsole prints its <c>text</c>.</summary>
internal sealed record Notice(string Text, string Source);

/// <summary>Source-generated JSON for the example's types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RoomInfo))]
[JsonSerializable(typeof(Notice))]
internal sealed partial class BackendJson : JsonSerializerContext;
