using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Relay.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Hardening;

/// <summary>
/// Property-based fuzzing (CsCheck) of the REST binders over HTTP, against the real server: the create, update
/// and push bodies and the list query parameters get arbitrary bytes, mutated valid bodies and JSON built from
/// edge cases (escaped lone surrogates, deep nesting, huge numbers, wrong types). Every request must get a 2xx,
/// or a 4xx problem-details answer that never shows the presented room secret or API key: never a 5xx, never a
/// dropped connection. Each run is bounded in time (`RELAY_FUZZ_SECONDS`, default 2 per binder); a failure
/// prints the shrunk input and the seed to replay it.
/// </summary>
public sealed class RestBinderFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "fuzz-api-key-0123456789abcdef";
    /// <summary>The presented room secret; not a valid room id either, so that no 404 or 409 may name it.</summary>
    private const string SecretMarker = "fuzz secret.Zq9xK2mP";

    private static readonly int Seconds =
        int.TryParse(Environment.GetEnvironmentVariable("RELAY_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 2;

    private static readonly string[] Strings =
    [
        "\"\\ud800\"", "\"\\udfff\"", "\"a\\ud800b\"", "\"\\ud800\\ud800\"", "\"\\udbff\\udfff\"", "\"\\u0000\"", "\"\"",
        "\"\\uZZZZ\"", "\"\\\"\"", "\"\\\\\"", "\"\u00e9\u2028\"", "\"mesh\"", "\"host\"", "\"first\"", "\"secret\"",
        "\"match-42\"", $"\"{SecretMarker}\"", "\"4\"", "\"true\"", "\"{}\"",
    ];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "2", "4", "64", "65", "1000", "1001", "2147483647", "2147483648", "-2147483649",
        "1e400", "-1e400", "1.5", "4.0", "1E2", "123456789012345678901234567890", "0.0000001", "01", "+1", "NaN", "Infinity",
    ];

    private static readonly string[] Fields =
    [
        "id", "secret", "protocol", "hostAssignment", "maxClients", "metadata", "locked", "data", "to",
        "MaxClients", "ID", "TO", "unknown", "", "\\ud800", "$type", "__proto__",
    ];

    /// <summary>Bytes a mutation inserts or writes: JSON syntax, escapes, and bytes that are never valid UTF-8 here.</summary>
    private static readonly byte[] Interesting = [.. "{}[]\",:\\ 0123456789eE.+-tfnu"u8.ToArray(), 0x00, 0x80, 0xC0, 0xED, 0xFF];

    private RelayServer _server = null!;
    private string _roomId = null!;

    public async Task InitializeAsync()
    {
        _server = await RelayServer.StartAsync(("Relay:ApiKeys:0", ApiKey));
        using var created = await SendAsync(new("POST", "/v1/api/rooms", Encoding.UTF8.GetBytes($$"""{"secret":"{{SecretMarker}}"}""")));
        Assert.Equal(201, (int)created.StatusCode);
        _roomId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("create")]
    [InlineData("update")]
    [InlineData("push")]
    [InlineData("list")]
    public async Task Any_input_gets_a_2xx_or_a_4xx_problem_that_shows_no_secret(string binder)
    {
        var requests = binder switch
        {
            "create" => Bodies("""{"id":"fuzzed","secret":"SECRET","protocol":"host","hostAssignment":"secret","maxClients":8,"metadata":{"map":"harbor","n":[1,2.5,{"d":null}]}}""")
                .Select(body => new FuzzRequest("POST", "/v1/api/rooms", body)),
            "update" => Gen.Select(RoomPath(), Bodies("""{"maxClients":8,"locked":false,"metadata":{"map":"harbor","secret":"SECRET"}}"""))
                .Select((path, body) => new FuzzRequest("PATCH", path, body)),
            "push" => Gen.Select(RoomPath(), Bodies("""{"data":{"notice":"round starts","secret":"SECRET"},"to":[1,2,64]}"""))
                .Select((path, body) => new FuzzRequest("POST", $"{path}/messages", body)),
            _ => Query().Select(query => new FuzzRequest("GET", $"/v1/api/rooms{query}", null)),
        };
        var count = 0;

        await requests.SampleAsync(
            async request =>
            {
                Interlocked.Increment(ref count);
                await AssertAnsweredAsync(request);
            },
            time: Seconds,
            threads: 4,
            print: request => request.ToString());

        output.WriteLine($"{binder}: {count} requests in {Seconds} s, each answered with a 2xx or a 4xx problem");
        Assert.True(count > 0);
        using var healthy = await SendAsync(new("POST", "/v1/api/rooms", "{}"u8.ToArray()));
        Assert.Equal(201, (int)healthy.StatusCode);
    }

    private async Task AssertAnsweredAsync(FuzzRequest request)
    {
        using var response = await SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status is (>= 200 and < 300) or (>= 400 and < 500) && status != 401, $"{request} answered {status}: {text}");
        if (status >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(status, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
            Assert.DoesNotContain(SecretMarker, text, StringComparison.Ordinal);
            Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
        }
    }

    private Task<HttpResponseMessage> SendAsync(FuzzRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        message.Headers.Add("X-Api-Key", ApiKey);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        return SendAndDisposeAsync(message);
    }

    private async Task<HttpResponseMessage> SendAndDisposeAsync(HttpRequestMessage message)
    {
        using (message)
        {
            return await _server.Http.SendAsync(message);
        }
    }

    /// <summary>Mostly the fuzzed room; sometimes an id of arbitrary characters, percent-encoded.</summary>
    private Gen<string> RoomPath() =>
        Gen.Frequency(
            (6, Gen.Const($"/v1/api/rooms/{_roomId}")),
            (1, Gen.String[Gen.Char, 1, 80].Select(id => $"/v1/api/rooms/{PercentEncode(id)}")));

    /// <summary>Arbitrary bytes, JSON objects built from edge cases, deep nesting, and mutations of a valid body.</summary>
    private static Gen<byte[]> Bodies(string valid)
    {
        var validBytes = Encoding.UTF8.GetBytes(valid.Replace("SECRET", SecretMarker, StringComparison.Ordinal));
        return Gen.Frequency(
            (2, Gen.Byte.Array[0, 300]),
            (3, JsonObject().Select(Encoding.UTF8.GetBytes)),
            (1, DeepNesting().Select(Encoding.UTF8.GetBytes)),
            (4, Mutations().Select(ops => Mutate(validBytes, ops))));
    }

    private static Gen<string> JsonObject() =>
        Gen.Select(Gen.OneOf(Fields), JsonValue()).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}");

    private static Gen<string> JsonValue()
    {
        var leaf = Gen.Frequency(
            (3, Gen.OneOf(Strings)),
            (3, Gen.OneOf(Numbers)),
            (1, Gen.OneOf("true", "false", "null")),
            (1, Gen.String.AlphaNumeric.Select(text => $"\"{text}\"")));
        return Gen.Recursive<string>((depth, value) => depth >= 3
            ? leaf
            : Gen.Frequency(
                (5, leaf),
                (1, value.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
                (1, Gen.Select(Gen.OneOf(Fields), value).Array[0, 3]
                    .Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}"))));
    }

    /// <summary>`{"metadata":[[[...]]]}` and similar, from shallow to far deeper than any JSON reader allows.</summary>
    private static Gen<string> DeepNesting() =>
        Gen.Select(Gen.OneOf(Fields), Gen.Int[1, 400], Gen.Bool)
            .Select((field, depth, arrays) => arrays
                ? $"{{\"{field}\":{new string('[', depth)}{new string(']', depth)}}}"
                : $"{{\"{field}\":{string.Concat(Enumerable.Repeat("{\"a\":", depth))}1{new string('}', depth)}}}");

    /// <summary>One to five edits: (kind, position, byte).</summary>
    private static Gen<(int Kind, int Position, byte Value)[]> Mutations() =>
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1 << 20], Gen.OneOf(Interesting)).Array[1, 5];

    private static byte[] Mutate(byte[] valid, (int Kind, int Position, byte Value)[] edits)
    {
        var bytes = new List<byte>(valid);
        foreach (var (kind, position, value) in edits)
        {
            var at = bytes.Count == 0 ? 0 : position % bytes.Count;
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = value;
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.InsertRange(at, bytes.Skip(at).Take(1 + (position % 16)).ToArray());
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>0-4 query parameters, names and values drawn from numbers, near-numbers and arbitrary text.</summary>
    private static Gen<string> Query()
    {
        var name = Gen.OneOf("offset", "limit", "Limit", "OFFSET", "x", "");
        var value = Gen.Frequency(
            (3, Gen.OneOf("0", "1", "50", "500", "501", "-1", "1e2", "4.0", "99999999999", "", " 5", "5 ", "+5", "0x10", "%00", "%ED%A0%80", "%FF", "%", "%2")),
            (1, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
            (1, Gen.String[Gen.Char, 0, 20].Select(PercentEncode)));
        return Gen.Select(name, value).Array[0, 4]
            .Select(parameters => parameters.Length == 0 ? string.Empty : "?" + string.Join("&", parameters.Select(p => $"{p.Item1}={p.Item2}")));
    }

    /// <summary>Every UTF-16 unit of <paramref name="text"/> as %XX of its UTF-8 (a lone surrogate becomes U+FFFD's bytes).</summary>
    private static string PercentEncode(string text) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(b => $"%{b:X2}"));

    private sealed record FuzzRequest(string Method, string Path, byte[]? Body)
    {
        public override string ToString() =>
            $"{Method} {Path} {(Body is null ? "(no body)" : string.Concat(Body.Select(b => b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}")))}";
    }
}
