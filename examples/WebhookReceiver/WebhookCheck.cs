using System.Globalization;
using System.Text;
using System.Text.Json;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace WebhookReceiver;

/// <summary>What <see cref="WebhookCheck.Verify"/> decided: 200 with the event's id and line, else 400 or 401 and why.</summary>
internal sealed record Verdict(int Status, string? Problem, string? Id = null, string? Line = null);

/// <summary>
/// Checks one request as the Standard Webhooks specification says: the three `webhook-*` headers are there, the
/// timestamp is recent (replays of old requests are refused), and the signature verifies (by the StandardWebhooks
/// package, which compares in constant time).
/// </summary>
internal sealed class WebhookCheck(string secret, TimeProvider time)
{
    /// <summary>How far a request's `webhook-timestamp` may be from now, either way (the specification's suggestion).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const string Prefix = "whsec_";

    private readonly StandardWebhook _verifier = new(secret);

    /// <summary>Why <paramref name="secret"/> cannot be a Relay webhook secret, or null when it can.</summary>
    public static string? SecretProblem(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return "a secret is needed: pass --secret whsec_... (the server's Relay:Webhooks:Secret) or set WEBHOOK_SECRET.";
        }

        var key = secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : null;
        var bytes = new byte[key?.Length ?? 0];
        return key is not null && Convert.TryFromBase64String(key, bytes, out var length) && length >= 24
            ? null
            : "the secret must be whsec_ followed by base64 of at least 24 bytes, as Relay:Webhooks:Secret is.";
    }

    public Verdict Verify(IHeaderDictionary headers, string body)
    {
        var id = headers["webhook-id"].ToString();
        var timestamp = headers["webhook-timestamp"].ToString();
        if (id.Length == 0 || timestamp.Length == 0 || headers["webhook-signature"].ToString().Length == 0)
        {
            return new Verdict(StatusCodes.Status400BadRequest, "webhook-id, webhook-timestamp and webhook-signature are required");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return new Verdict(StatusCodes.Status400BadRequest, "webhook-timestamp must be Unix seconds");
        }

        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (age.Duration() > Tolerance)
        {
            return new Verdict(StatusCodes.Status400BadRequest, $"webhook-timestamp is {(int)age.TotalSeconds} s from now, more than {Tolerance.TotalMinutes} minutes");
        }

        try
        {
            _verifier.Verify(body, headers);
        }
        catch (WebhookVerificationException e)
        {
            return new Verdict(StatusCodes.Status401Unauthorized, $"the signature does not verify ({e.Message}): is --secret the server's Relay:Webhooks:Secret?");
        }

        return Describe(body) is { } line
            ? new Verdict(StatusCodes.Status200OK, null, id, line)
            : new Verdict(StatusCodes.Status400BadRequest, "the body is not an event ({\"type\", \"timestamp\", \"data\"})");
    }

    /// <summary>`&lt;timestamp&gt; &lt;type&gt; room=&lt;roomId&gt; field=value ...` for an event body, or null when it is not one.</summary>
    private static string? Describe(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var line = new StringBuilder();
            if (root.TryGetProperty("timestamp", out var at) && at.ValueKind == JsonValueKind.String)
            {
                line.Append(at.GetString()).Append(' ');
            }

            line.Append(type.GetString());
            if (data.TryGetProperty("roomId", out var roomId) && roomId.ValueKind == JsonValueKind.String)
            {
                line.Append(" room=").Append(roomId.GetString());
            }

            foreach (var field in data.EnumerateObject().Where(f => f.Name != "roomId"))
            {
                line.Append(' ').Append(field.Name).Append('=').Append(field.Value.GetRawText());
            }

            return line.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
