// A backend on Relay.Client's REST client: creates a room, prints how to join it, then takes commands.
//   dotnet run --project examples/RoomBackend -- --server http://localhost:8080 [--api-key KEY] [--protocol mesh|host] [--max-clients 8]
// --help lists the options. Exit codes: 0 after quit, delete or the end of input; 1 when the room cannot be
// created; 2 for an invalid argument.
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
var apiKeyOption = new Option<string?>("--api-key")
{
    Description = "One of the server's API keys (Relay:ApiKeys); default: the RELAY_API_KEY environment variable.",
    HelpName = "key",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RELAY_API_KEY"),
};
var protocolOption = new Option<string?>("--protocol") { Description = "The room's protocol (default: mesh).", HelpName = "mesh|host" };
protocolOption.AcceptOnlyFromAmong("mesh", "host");
var maxClientsOption = new Option<int?>("--max-clients") { Description = "The room's seats (default: the server's Relay:DefaultMaxClients).", HelpName = "n" };
var command = new RootCommand(
    "Creates a Relay room, prints how to join it with ChatConsole, then reads commands: " +
    $"{Backend.Commands}.")
{
    serverOption, apiKeyOption, protocolOption, maxClientsOption,
};
command.SetAction((parsed, _) => Backend.RunAsync(
    parsed.GetValue(serverOption)!,
    parsed.GetValue(apiKeyOption),
    parsed.GetValue(protocolOption),
    parsed.GetValue(maxClientsOption)));
var parsed = command.Parse(args);
var exitCode = await parsed.InvokeAsync();
// A command line that does not parse has been explained (with the help text): a usage error.
return parsed.Errors.Count > 0 ? Backend.UsageError : exitCode;

/// <summary>The example backend: one room, and commands typed on standard input.</summary>
internal sealed class Backend(RelayApiClient api, CreatedRoom room)
{
    public const string Commands =
        "push <text> | to <clientId> <text> | show | lock | unlock | kick <clientId> | list | summary | delete (deletes the room and exits) | quit";

    public const int UsageError = 2;

    private const string ApiKeyHint = "This server requires an API key: pass one of its Relay:ApiKeys with --api-key <key> (or set RELAY_API_KEY).";

    public static async Task<int> RunAsync(string serverText, string? apiKey, string? protocol, int? maxClients)
    {
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"RoomBackend: --server must be an http(s) address such as http://localhost:8080, not '{serverText}'. See --help.");
            return UsageError;
        }

        using var api = new RelayApiClient(server, string.IsNullOrEmpty(apiKey) ? null : apiKey);
        CreatedRoom room;
        try
        {
            room = await api.CreateRoomAsync(new CreateRoomRequest
            {
                Protocol = protocol,
                MaxClients = maxClients,
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

            if (ex.Status == 401)
            {
                Console.Error.WriteLine(ApiKeyHint);
            }

            return 1;
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"Could not reach {serverText}: {ex.Message}");
            return 1;
        }

        var backend = new Backend(api, room);
        backend.Introduce(serverText);
        await backend.ListRoomsAsync();
        Console.WriteLine();
        Console.WriteLine($"Commands: {Commands}");
        await backend.ReadCommandsAsync();
        return 0;
    }

    private void Introduce(string server)
    {
        Console.WriteLine($"Created room {room.Id} ({room.Protocol}, {room.MaxClients} seats)");
        Console.WriteLine($"  secret:      {room.Secret}");
        Console.WriteLine($"  host secret: {room.HostSecret}");
        Console.WriteLine();
        Console.WriteLine("Join it from two terminals (the first to join becomes host):");
        Console.WriteLine($"  dotnet run --project examples/ChatConsole -- --server {server} --room {room.Id} --secret {room.Secret} --name alice");
        Console.WriteLine($"  dotnet run --project examples/ChatConsole -- --server {server} --room {room.Id} --secret {room.Secret} --name bob");
        Console.WriteLine();
    }

    /// <summary>Runs commands until quit, delete or the end of input.</summary>
    private async Task ReadCommandsAsync()
    {
        while (Console.ReadLine() is { } line)
        {
            try
            {
                if (!await HandleAsync(line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries)))
                {
                    return;
                }
            }
            catch (RelayApiException ex)
            {
                Console.WriteLine($"error {ex.Status}: {ex.Title} {ex.Detail}");
                if (ex.Status == 401)
                {
                    Console.WriteLine(ApiKeyHint);
                }
            }
        }
    }

    /// <summary>Runs one command; false when the backend is done.</summary>
    private async Task<bool> HandleAsync(string[] parts)
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
                Console.WriteLine($"Deleted room {room.Id} (its clients got room_closed). RoomBackend exits: it has no room left to manage.");
                return false;
            case ["quit"]:
                Console.WriteLine($"Bye. Room {room.Id} stays until it is deleted, or expires once it has been empty for a while.");
                return false;
            case []:
                break;
            default:
                Console.WriteLine($"Commands: {Commands}");
                break;
        }

        return true;
    }

    private async Task ListRoomsAsync()
    {
        var page = await api.ListRoomsAsync(limit: 10);
        Console.WriteLine($"Rooms on the server ({page.Total} in all, first {page.Items.Count}):");
        foreach (var r in page.Items)
        {
            Console.WriteLine($"  {r.Id}  {r.Protocol,-4}  {r.ClientCount}/{r.MaxClients}{(r.Locked ? "  locked" : "")}");
        }
    }

    private static Notice Notice(string text) => new(text, "RoomBackend");
}

/// <summary>The room's metadata.</summary>
internal sealed record RoomInfo(string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A pushed notice; ChatConsole prints its <c>text</c>.</summary>
internal sealed record Notice(string Text, string Source);

/// <summary>Source-generated JSON for the example's types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RoomInfo))]
[JsonSerializable(typeof(Notice))]
internal sealed partial class BackendJson : JsonSerializerContext;
