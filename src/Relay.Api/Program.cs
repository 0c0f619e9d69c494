using Relay.Api;

var app = RelayServer.Build(args);
await app.RunAsync();

/// <summary>The entry point, public for tests that start the real server.</summary>
public partial class Program;
