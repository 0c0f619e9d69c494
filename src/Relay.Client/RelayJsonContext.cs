using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relay.Client;

/// <summary>Source-generated serialization of the REST bodies and answers (web defaults: camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateRoomRequest))]
[JsonSerializable(typeof(UpdateRoomRequest))]
[JsonSerializable(typeof(RelayRoom))]
[JsonSerializable(typeof(CreatedRoom))]
[JsonSerializable(typeof(RoomPage))]
[JsonSerializable(typeof(RelaySummary))]
[JsonSerializable(typeof(PushAnswer))]
[JsonSerializable(typeof(ProblemDocument))]
[JsonSerializable(typeof(RoomMember[]))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;

/// <summary>The answer to a push: how many clients the message was queued to.</summary>
internal sealed record PushAnswer(int Recipients);

/// <summary>An RFC 9457 problem details document as the server writes it.</summary>
internal sealed record ProblemDocument
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? Instance { get; init; }

    public Dictionary<string, string[]>? Errors { get; init; }

    public string? TraceId { get; init; }
}
