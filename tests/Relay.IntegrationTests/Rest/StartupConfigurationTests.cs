using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Rest;

public sealed class StartupConfigurationTests
{
    [Fact]
    public async Task Production_without_api_keys_and_without_anonymous_access_refuses_to_start()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RelayServer.StartAsync(("Relay:AllowAnonymousApi", "false")));

        Assert.Contains("Relay:ApiKeys", Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_with_an_api_key_starts_without_anonymous_access()
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:AllowAnonymousApi", "false"),
            ("Relay:ApiKeys:0", "a-production-key-0123456789"));

        using var response = await server.Http.GetAsync("/healthz");

        Assert.True(response.IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("Relay:MaxMessageBytes", "-5")]
    [InlineData("Relay:MaxMessageBytes", "abc")]
    [InlineData("Relay:MaxClientsCap", "0")]
    [InlineData("Relay:DefaultMaxClients", "0")]
    [InlineData("Relay:ConnectTimeoutSeconds", "-1")]
    [InlineData("Relay:ApiKeys:0", "short")]
    public async Task An_invalid_setting_stops_start_up_with_a_message_naming_the_key(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RelayServer.StartAsync((key, value)));

        var expected = key.EndsWith(":0", StringComparison.Ordinal) ? key[..^2] : key;
        Assert.Contains(expected, Messages(error), StringComparison.Ordinal);
    }

    /// <summary>The messages of an exception and everything it wraps.</summary>
    private static string Messages(Exception error)
    {
        var messages = new List<string>();
        var pending = new Stack<Exception>([error]);
        while (pending.TryPop(out var e))
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is not null)
            {
                pending.Push(e.InnerException);
            }
        }

        return string.Join(" | ", messages);
    }
}
