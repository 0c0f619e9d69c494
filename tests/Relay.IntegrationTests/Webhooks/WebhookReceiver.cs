using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Relay.IntegrationTests.Webhooks;

/// <summary>
/// A real HTTP endpoint for webhooks (a small Kestrel app on 127.0.0.1): it records every attempt with its headers and
/// body, verifies each signature with the StandardWebhooks package (an implementation independent of the server's),
/// and answers as <see cref="Answer"/> says — 200 by default, or a failure, a slow answer, or an answer held back until
/// the test releases it.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StandardWebhook _verifier;
    private readonly ConcurrentQueue<ReceivedWebhook> _attempts = new();
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    private WebhookReceiver(WebApplication app, string secret)
    {
        _app = app;
        Secret = secret;
        _verifier = new StandardWebhook(secret);
    }

    /// <summary>The `Relay:Webhooks:Secret` to give the server.</summary>
    public string Secret { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>What to answer an attempt (a status code); may wait first. Default: 200 at once.</summary>
    public Func<ReceivedWebhook, Task<int>> Answer { get; set; } = _ => Task.FromResult(200);

    /// <summary>Every attempt, in arrival order.</summary>
    public IReadOnlyList<ReceivedWebhook> Attempts => [.. _attempts];

    /// <summary>Each event once (deduplicated by `webhook-id`, as a receiver must), in the order it first arrived.</summary>
    public IReadOnlyList<ReceivedWebhook> Events
    {
        get
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            return [.. _attempts.Where(a => seen.Add(a.Id))];
        }
    }

    /// <summary>The settings that point a server at this receiver.</summary>
    public (string Key, string Value)[] Settings(params (string Key, string Value)[] extra) =>
    [
        ("Relay:Webhooks:Url", Url.ToString()),
        ("Relay:Webhooks:Secret", Secret),
        .. extra,
    ];

    /// <summary>A new random secret in the Standard Webhooks form.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, NewSecret());
        app.MapPost("/hooks", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hooks");
        return receiver;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over <see cref="Events"/>; fails with what arrived.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var events = Events;
            if (condition(events))
            {
                return events;
            }

            var left = timeout - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {timeout.TotalSeconds} s; received {events.Count}: {Show(events)}");
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Waits for the events of room <paramref name="roomId"/> to be <paramref name="expected"/> (type and key data, in order).</summary>
    public Task<IReadOnlyList<ReceivedWebhook>> WaitForRoomAsync(string roomId, string[] expected, TimeSpan? timeout = null) =>
        WaitAsync(
            events => events.Count(e => e.RoomId == roomId) >= expected.Length,
            timeout ?? TimeSpan.FromSeconds(30),
            $"room {roomId}: {expected.Length} events");

    /// <summary>The events of one room, as "type key=value ..." lines (for readable comparisons).</summary>
    public IReadOnlyList<string> RoomLines(string roomId) => [.. Events.Where(e => e.RoomId == roomId).Select(e => e.Line)];

    public static string Show(IEnumerable<ReceivedWebhook> events) => string.Join(" | ", events.Select(e => e.Line));

    public async ValueTask DisposeAsync()
    {
        Answer = _ => Task.FromResult(200);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token);
        }

        await _app.DisposeAsync();
        _changed.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        string? verification = null;
        try
        {
            _verifier.Verify(body, context.Request.Headers);
        }
        catch (WebhookVerificationException e)
        {
            verification = e.Message;
        }

        var received = new ReceivedWebhook(
            context.Request.Headers["webhook-id"].ToString(),
            context.Request.Headers["webhook-timestamp"].ToString(),
            context.Request.Headers["webhook-signature"].ToString(),
            context.Request.ContentType ?? string.Empty,
            body,
            verification,
            DateTimeOffset.UtcNow);
        _attempts.Enqueue(received);
        _changed.Release();
        int status;
        try
        {
            status = await Answer(received);
        }
        catch (OperationCanceledException)
        {
            status = 503;
        }

        context.Response.StatusCode = status;
    }
}

/// <summary>One attempt as the receiver saw it; <see cref="VerificationError"/> is null when the signature verified.</summary>
public sealed record ReceivedWebhook(string Id, string TimestampHeader, string Signature, string ContentType, string Body, string? VerificationError, DateTimeOffset ReceivedAt)
{
    public JsonElement Json { get; } = JsonDocument.Parse(Body).RootElement.Clone();

    public string Type => Json.GetProperty("type").GetString()!;

    public JsonElement Data => Json.GetProperty("data");

    public string RoomId => Data.GetProperty("roomId").GetString()!;

    /// <summary>"type field=value ..." for every data field but roomId, in the order the body has them.</summary>
    public string Line => Type + string.Concat(Data.EnumerateObject().Where(p => p.Name != "roomId").Select(p => $" {p.Name}={p.Value.GetRawText()}"));
}
