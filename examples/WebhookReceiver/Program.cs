// A backend endpoint for Relay's webhooks: verifies each request's Standard Webhooks signature, refuses forged
// (401) and stale or malformed (400) requests, handles each event once (by webhook-id) and prints it on one line.
//   dotnet run --project examples/WebhookReceiver -- --secret whsec_... [--urls http://localhost:5080]
// Point the server at it: Relay__Webhooks__Url=http://localhost:5080/webhooks Relay__Webhooks__Secret=whsec_...
// Exit codes: 0 when stopped (Ctrl+C), 1 when it cannot listen, 2 for a missing or invalid secret.
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using WebhookReceiver;

const string Usage =
    "Usage: WebhookReceiver --secret <whsec_...> [--urls <url>]\n" +
    "  --secret  the server's Relay:Webhooks:Secret (default: the WEBHOOK_SECRET environment variable)\n" +
    "  --urls    where to listen (default: http://localhost:5080); events are POSTed to /webhooks";

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return 0;
}

var builder = WebApplication.CreateSlimBuilder(args);
// Standard output is the events (and the line saying where it listens): the framework only warns.
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
// A failed start is reported below, in one line, instead of with the host's stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://localhost:5080");
var secret = builder.Configuration["secret"] ?? Environment.GetEnvironmentVariable("WEBHOOK_SECRET");
if (WebhookCheck.SecretProblem(secret) is { } problem)
{
    Console.Error.WriteLine($"WebhookReceiver: {problem}");
    Console.Error.WriteLine(Usage);
    return 2;
}

var check = new WebhookCheck(secret!, TimeProvider.System);
var seen = new SeenIds(capacity: 10_000);
var app = builder.Build();
app.MapPost("/webhooks", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    var verdict = check.Verify(request.Headers, body);
    if (verdict.Status != StatusCodes.Status200OK)
    {
        Console.Error.WriteLine($"rejected ({verdict.Status}): {verdict.Problem}");
        return Results.Problem(statusCode: verdict.Status, title: verdict.Problem);
    }

    // At least once: a retried event comes again with the same webhook-id. Handle it once, acknowledge it always.
    if (seen.Add(verdict.Id!))
    {
        Console.WriteLine(verdict.Line);
    }

    return Results.NoContent();
});

try
{
    await app.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"WebhookReceiver: cannot listen there: {e.Message}");
    return 1;
}

var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
Console.WriteLine($"WebhookReceiver listening on {string.Join(", ", addresses.Select(a => a.TrimEnd('/') + "/webhooks"))}");
await app.WaitForShutdownAsync();
return 0;
