using SignalRRelay;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// 128 KiB: a 64 KiB binary payload (Relay's default limit) is base64 in the JSON hub protocol.
builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = 128 * 1024);

var app = builder.Build();

app.MapGet("/healthz", () => Results.Text("ok"));

// Same shape as Relay's create call so the load generator creates rooms the same way; a room is just a group name.
app.MapPost("/v1/api/rooms", () =>
{
    var id = Guid.NewGuid().ToString("N");
    return Results.Json(new { id, secret = "x" }, statusCode: StatusCodes.Status201Created);
});

app.MapHub<RelayHub>("/relay");

app.Run();
