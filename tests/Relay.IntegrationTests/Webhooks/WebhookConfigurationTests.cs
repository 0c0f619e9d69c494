using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Webhooks;

public sealed class WebhookConfigurationTests
{
    [Theory]
    [InlineData("Relay:Webhooks:Secret", "Relay:Webhooks:Url", "http://127.0.0.1:9/hooks", null)]
    [InlineData("Relay:Webhooks:Secret", "Relay:Webhooks:Secret", "not-a-secret", "http://127.0.0.1:9/hooks")]
    [InlineData("Relay:Webhooks:Secret", "Relay:Webhooks:Secret", "whsec_c2hvcnQ=", "http://127.0.0.1:9/hooks")]
    [InlineData("Relay:Webhooks:Url", "Relay:Webhooks:Url", "ftp://example/hooks", "secret")]
    [InlineData("Relay:Webhooks:Events", "Relay:Webhooks:Events:0", "client.teleported", "secret")]
    [InlineData("Relay:Webhooks:TimeoutSeconds", "Relay:Webhooks:TimeoutSeconds", "0", "secret")]
    [InlineData("Relay:Tokens:SigningKeys", "Relay:Tokens:SigningKeys:0", "too-short-a-key", null)]
    public async Task An_invalid_webhook_or_token_setting_stops_start_up_naming_the_key(string named, string key, string value, string? other)
    {
        var settings = new List<(string, string)> { (key, value) };
        if (other == "secret")
        {
            settings.Add(("Relay:Webhooks:Secret", WebhookReceiver.NewSecret()));
        }
        else if (other is not null)
        {
            settings.Add(("Relay:Webhooks:Url", other));
        }

        if (key != "Relay:Webhooks:Url" && other == "secret")
        {
            settings.Add(("Relay:Webhooks:Url", "http://127.0.0.1:9/hooks"));
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RelayServer.StartAsync([.. settings]));

        Assert.Contains(named, Messages(error), StringComparison.Ordinal);
    }

    private static string Messages(Exception error)
    {
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        return string.Join("\n", messages);
    }
}
