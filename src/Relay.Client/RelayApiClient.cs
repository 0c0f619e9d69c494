using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Relay.Client;

/// <summary>
/// A typed client for Relay's REST API (<c>/v1/api/...</c>), for backends: create, list, read, update and delete
/// rooms, push messages, kick clients and read the summary. Errors are thrown as <see cref="RelayApiException"/>
/// carrying the server's problem details. Thread-safe; reuse one instance.
/// </summary>
public sealed class RelayApiClient : IDisposable
{
    /// <summary>The header that carries the API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private static readonly RelayJsonContext Json = RelayJsonContext.Default;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _base;
    private readonly string? _apiKey;

    /// <summary>Creates a client with its own <see cref="HttpClient"/>.</summary>
    /// <param name="serverUri">The server's address, e.g. <c>http://localhost:8080</c> (a path prefix is kept).</param>
    /// <param name="apiKey">One of the server's <c>Relay:ApiKeys</c>, sent as <c>X-Api-Key</c>; null when the API is open.</param>
    public RelayApiClient(Uri serverUri, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(serverUri);
        _base = RelayUris.HttpBase(serverUri);
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _ownsHttp = true;
        _apiKey = apiKey;
    }

    /// <summary>
    /// Creates a client over an <see cref="HttpClient"/> you manage (e.g. from <c>IHttpClientFactory</c>); its
    /// <see cref="HttpClient.BaseAddress"/> must be the server's address. It is not disposed with this client.
    /// </summary>
    /// <param name="httpClient">The HTTP client, with <see cref="HttpClient.BaseAddress"/> set.</param>
    /// <param name="apiKey">One of the server's <c>Relay:ApiKeys</c>, sent as <c>X-Api-Key</c>; null when the API is open.</param>
    public RelayApiClient(HttpClient httpClient, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress: the Relay server's address.", nameof(httpClient));
        }

        _base = RelayUris.HttpBase(httpClient.BaseAddress);
        _http = httpClient;
        _apiKey = apiKey;
    }

    /// <summary>Creates a room. <c>POST /v1/api/rooms</c>.</summary>
    /// <param name="request">The room's settings; null for all defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The room with its <see cref="CreatedRoom.Secret"/> and <see cref="CreatedRoom.HostSecret"/>, shown this once.</returns>
    /// <exception cref="RelayApiException">400 (with <see cref="RelayApiException.Errors"/>), 401, 409 (id taken), 503 (room limit).</exception>
    public Task<CreatedRoom> CreateRoomAsync(CreateRoomRequest? request = null, CancellationToken cancellationToken = default) =>
        SendAsync(
            HttpMethod.Post,
            "v1/api/rooms",
            JsonContent.Create(request ?? new CreateRoomRequest(), Json.CreateRoomRequest),
            Json.CreatedRoom,
            cancellationToken);

    /// <summary>Lists rooms in creation order, one page. <c>GET /v1/api/rooms</c>.</summary>
    /// <param name="offset">Rooms to skip (>= 0); the server default (0) when null.</param>
    /// <param name="limit">Page size, 1-500; the server default (50) when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with the total number of rooms.</returns>
    /// <exception cref="RelayApiException">400 (offset or limit out of range), 401.</exception>
    public Task<RoomPage> ListRoomsAsync(int? offset = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>(2);
        if (offset is { } o)
        {
            query.Add("offset=" + o.ToString(CultureInfo.InvariantCulture));
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        var path = query.Count == 0 ? "v1/api/rooms" : "v1/api/rooms?" + string.Join('&', query);
        return SendAsync(HttpMethod.Get, path, null, Json.RoomPage, cancellationToken);
    }

    /// <summary>Enumerates every room, page by page, in creation order.</summary>
    /// <param name="pageSize">Rooms per request, 1-500.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The rooms (without <see cref="RelayRoom.Clients"/>).</returns>
    /// <exception cref="RelayApiException">401, or another error status from the server.</exception>
    public async IAsyncEnumerable<RelayRoom> ListAllRoomsAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var offset = 0;
        while (true)
        {
            var page = await ListRoomsAsync(offset, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var room in page.Items)
            {
                yield return room;
            }

            offset += page.Items.Count;
            if (page.Items.Count == 0 || offset >= page.Total)
            {
                yield break;
            }
        }
    }

    /// <summary>Reads one room with its clients. <c>GET /v1/api/rooms/{id}</c>.</summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The room, with <see cref="RelayRoom.Clients"/>.</returns>
    /// <exception cref="RelayApiException">404 (no such room), 401.</exception>
    public Task<RelayRoom> GetRoomAsync(string roomId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, RoomPath(roomId), null, Json.RelayRoom, cancellationToken);

    /// <summary>Changes a room's seat limit, lock or metadata. <c>PATCH /v1/api/rooms/{id}</c>.</summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="request">The changes; null properties are left as they are.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The room after the change, with <see cref="RelayRoom.Clients"/>.</returns>
    /// <exception cref="RelayApiException">400 (with <see cref="RelayApiException.Errors"/>), 404, 401.</exception>
    public Task<RelayRoom> UpdateRoomAsync(string roomId, UpdateRoomRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(HttpMethod.Patch, RoomPath(roomId), JsonContent.Create(request, Json.UpdateRoomRequest), Json.RelayRoom, cancellationToken);
    }

    /// <summary>
    /// Deletes a room. <c>DELETE /v1/api/rooms/{id}</c>. Its clients get <c>room_closed</c> (<c>deleted</c>) and
    /// close 4000.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the room is deleted.</returns>
    /// <exception cref="RelayApiException">404 (no such room), 401.</exception>
    public Task DeleteRoomAsync(string roomId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, RoomPath(roomId), null, cancellationToken);

    /// <summary>
    /// Pushes a message into a room. <c>POST /v1/api/rooms/{id}/messages</c>. Clients receive a <c>message</c>
    /// from client id 0 (the server) whose <c>data</c> is <paramref name="data"/>.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="data">Any JSON value.</param>
    /// <param name="to">1-64 client ids to push to; null for every client. Ids not in the room are skipped.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many clients the message was queued to.</returns>
    /// <exception cref="RelayApiException">400, 404, 401.</exception>
    public Task<int> PushMessageAsync(string roomId, JsonElement data, IEnumerable<int>? to = null, CancellationToken cancellationToken = default) =>
        PushCoreAsync(roomId, data.WriteTo, to, cancellationToken);

    /// <summary>
    /// Pushes a message whose <c>data</c> is <paramref name="utf8Json"/>, exactly as given (clients receive these
    /// bytes). <c>POST /v1/api/rooms/{id}/messages</c>.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="utf8Json">One JSON value as UTF-8; it is validated, not reformatted.</param>
    /// <param name="to">1-64 client ids to push to; null for every client. Ids not in the room are skipped.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many clients the message was queued to.</returns>
    /// <exception cref="ArgumentException"><paramref name="utf8Json"/> is not one valid JSON value.</exception>
    /// <exception cref="RelayApiException">400, 404, 401.</exception>
    public Task<int> PushMessageJsonAsync(string roomId, ReadOnlyMemory<byte> utf8Json, IEnumerable<int>? to = null, CancellationToken cancellationToken = default)
    {
        ClientFrames.ValidateJson(utf8Json.Span, nameof(utf8Json));
        return PushCoreAsync(roomId, ClientFrames.RawValue(utf8Json), to, cancellationToken);
    }

    /// <summary>Pushes a value serialized with <paramref name="typeInfo"/> (e.g. from your own source-generated context).</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="roomId">The room id.</param>
    /// <param name="data">The value to send as <c>data</c>.</param>
    /// <param name="typeInfo">How to serialize <typeparamref name="T"/>.</param>
    /// <param name="to">1-64 client ids to push to; null for every client.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many clients the message was queued to.</returns>
    /// <exception cref="RelayApiException">400, 404, 401.</exception>
    public Task<int> PushMessageAsync<T>(string roomId, T data, JsonTypeInfo<T> typeInfo, IEnumerable<int>? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return PushMessageJsonAsync(roomId, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), to, cancellationToken);
    }

    /// <summary>
    /// Kicks a client. <c>DELETE /v1/api/rooms/{id}/clients/{clientId}</c>. It gets <c>kicked</c> (<c>"kicked by
    /// the server"</c>) and close 4001; the others get <c>client_left</c> with <c>kicked</c>.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="clientId">The client's id in the room.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the client is kicked.</returns>
    /// <exception cref="RelayApiException">404 (no such room or client), 401.</exception>
    public Task KickClientAsync(string roomId, int clientId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{RoomPath(roomId)}/clients/{clientId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);

    /// <summary>Reads totals over every room. <c>GET /v1/api/summary</c>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="RelayApiException">401.</exception>
    public Task<RelaySummary> GetSummaryAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "v1/api/summary", null, Json.RelaySummary, cancellationToken);

    /// <summary>Disposes the <see cref="HttpClient"/> if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static string RoomPath(string roomId)
    {
        ArgumentException.ThrowIfNullOrEmpty(roomId);
        return "v1/api/rooms/" + Uri.EscapeDataString(roomId);
    }

    private Task<int> PushCoreAsync(string roomId, Action<Utf8JsonWriter> writeData, IEnumerable<int>? to, CancellationToken cancellationToken)
    {
        var body = ClientFrames.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data"u8);
            writeData(writer);
            ClientFrames.WriteClientIds(writer, to);
            writer.WriteEndObject();
        });
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        return PushAsync(roomId, content, cancellationToken);
    }

    private async Task<int> PushAsync(string roomId, HttpContent content, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Post, RoomPath(roomId) + "/messages", content, Json.PushAnswer, cancellationToken).ConfigureAwait(false);
        return answer.Recipients;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken).ConfigureAwait(false);
        var value = await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken).ConfigureAwait(false);
        return value ?? throw new RelayApiException($"The Relay API answered {(int)response.StatusCode} with an empty body.");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("application/problem+json");
        if (!string.IsNullOrEmpty(_apiKey))
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, _apiKey);
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<RelayApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var problem = TryReadProblem(response, body);
        if (problem is null)
        {
            return new RelayApiException(status, response.ReasonPhrase, null);
        }

        var errors = problem.Errors?.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal);
        return new RelayApiException(status, problem.Title ?? response.ReasonPhrase, problem.Detail, problem.Type, errors, problem.TraceId);
    }

    private static ProblemDocument? TryReadProblem(HttpResponseMessage response, byte[] body)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (body.Length == 0 || mediaType is null || !mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, Json.ProblemDocument);
        }
        catch (JsonException)
        {
            // Not problem details after all (e.g. a proxy's JSON error page): report the status alone.
            return null;
        }
    }
}
