using System.Text.Json.Nodes;
using Relay.Api.Hosting;
using Relay.Api.Rooms;
using Relay.Application.Rooms;
using Relay.Application.Rooms.GetSummary;
using Relay.Application.Rooms.ListRooms;
using Relay.Application.Rooms.PushMessage;

namespace Relay.Api.OpenApi;

/// <summary>
/// The example of every request and response body in the OpenAPI document: what Swagger UI prefills and
/// shows. They tell one story (room `match-42`), so that a user can click through the operations in order;
/// each is a body the server accepts or would answer.
/// </summary>
internal static class OpenApiExamples
{
    private const string TraceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

    /// <summary>By schema type: request bodies and success responses.</summary>
    private static readonly Dictionary<Type, string> ByType = new()
    {
        [typeof(CreateRoomRequest)] = """{"id":"match-42","protocol":"host","hostAssignment":"first","maxClients":8,"metadata":{"map":"harbor"}}""",
        [typeof(UpdateRoomRequest)] = """{"maxClients":8,"locked":true,"metadata":{"map":"harbor","round":2}}""",
        [typeof(PushMessageRequest)] = """{"data":{"notice":"round starts"},"to":[2,7]}""",
        [typeof(CreatedRoomDetails)] = """{"id":"match-42","secret":"n2Fh8sLq0ZtR5yWc1mKe7uVb3xJd9aPg","hostSecret":"Qw4eR6tY8uI0oP2aS4dF6gH8jK0lZ2xC","protocol":"host","hostAssignment":"first","maxClients":8,"locked":false,"metadata":{"map":"harbor"},"createdAt":"2025-06-01T12:00:00.1234567Z","hostId":null,"clientCount":0,"messagesRelayed":0}""",
        [typeof(RoomDetails)] = """{"id":"match-42","protocol":"host","hostAssignment":"first","maxClients":8,"locked":false,"metadata":{"map":"harbor"},"createdAt":"2025-06-01T12:00:00.1234567Z","hostId":1,"clientCount":2,"messagesRelayed":1280,"clients":[{"clientId":1,"name":"alice","isHost":true,"connectedAt":"2025-06-01T12:00:05.0000000Z"},{"clientId":2,"name":null,"isHost":false,"connectedAt":"2025-06-01T12:00:09.5000000Z"}]}""",
        [typeof(RoomClient)] = """{"clientId":1,"name":"alice","isHost":true,"connectedAt":"2025-06-01T12:00:05.0000000Z"}""",
        [typeof(RoomList)] = """{"items":[{"id":"match-42","protocol":"host","hostAssignment":"first","maxClients":8,"locked":false,"metadata":{"map":"harbor"},"createdAt":"2025-06-01T12:00:00.1234567Z","hostId":1,"clientCount":2,"messagesRelayed":1280}],"total":1,"offset":0,"limit":50}""",
        [typeof(PushMessageResult)] = """{"recipients":1}""",
        [typeof(Summary)] = """{"rooms":3,"clients":7,"roomsByProtocol":{"host":1,"mesh":2},"messagesRelayed":1520,"bytesRelayed":48213,"uptimeSeconds":3600}""",
        [typeof(HealthStatus)] = """{"status":"ready"}""",
        [typeof(LivenessStatus)] = """{"status":"ok","version":"0.3.0-dev+4f1c2e9a7b3d5c8f0a6e2d4b1c9f7e5a3d8b6c0e"}""",
    };

    /// <summary>By status code: the problem details of error responses.</summary>
    private static readonly Dictionary<int, string> ByStatus = new()
    {
        [StatusCodes.Status400BadRequest] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"The request is invalid.","status":400,"detail":"One or more fields are invalid.","errors":{"maxClients":["maxClients must be between 1 and 1000"]},"traceId":"{{TraceId}}"}""",
        [StatusCodes.Status401Unauthorized] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Unauthorized","status":401,"detail":"Send one of the server's API keys in X-Api-Key or Authorization: Bearer.","traceId":"{{TraceId}}"}""",
        [StatusCodes.Status404NotFound] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not found","status":404,"detail":"No room with id 'match-42'.","traceId":"{{TraceId}}"}""",
        [StatusCodes.Status409Conflict] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.10","title":"Conflict","status":409,"detail":"A room with id 'match-42' already exists.","traceId":"{{TraceId}}"}""",
        [StatusCodes.Status413PayloadTooLarge] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.14","title":"Content Too Large","status":413,"detail":"The request body is larger than the 20480 bytes this endpoint accepts.","traceId":"{{TraceId}}"}""",
        [StatusCodes.Status503ServiceUnavailable] = $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Unavailable","status":503,"detail":"The room store is unavailable: try again shortly.","traceId":"{{TraceId}}"}""",
    };

    public static JsonNode? ForType(Type type) => ByType.TryGetValue(type, out var json) ? JsonNode.Parse(json) : null;

    public static JsonNode? ForStatus(int status) => ByStatus.TryGetValue(status, out var json) ? JsonNode.Parse(json) : null;
}
