using System.Buffers;
using System.Text;
using Relay.Api.Realtime.Upgrade;

namespace Relay.UnitTests.Upgrade;

/// <summary>Which first bytes of a connection the lean upgrade path answers itself, and which it leaves to Kestrel.</summary>
public sealed class UpgradeRequestParserTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static string Request(string requestLine = "GET /v1/websocket HTTP/1.1", params string[] headers)
    {
        var lines = new List<string>
        {
            requestLine,
            "Host: 127.0.0.1:8080",
            "Upgrade: websocket",
            "Connection: Upgrade",
            $"Sec-WebSocket-Key: {Key}",
            "Sec-WebSocket-Version: 13",
        };
        foreach (var header in headers)
        {
            var name = header[..header.IndexOf(':', StringComparison.Ordinal)];
            lines.RemoveAll(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
            if (!header.EndsWith(':'))
            {
                lines.Add(header);
            }
        }

        return string.Join("\r\n", lines) + "\r\n\r\n";
    }

    private static UpgradeParse Parse(string text, out UpgradeRequest? request, out int headLength) =>
        UpgradeRequestParser.Parse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out request, out headLength);

    private static UpgradeParse Parse(string text) => Parse(text, out _, out _);

    [Fact]
    public void A_plain_upgrade_is_taken_with_its_key_origin_extensions_and_head_length()
    {
        var text = Request(headers: ["Origin: https://game.example", "Sec-WebSocket-Extensions: permessage-deflate"]);

        var parse = Parse(text + "\x81\x80", out var request, out var headLength);

        Assert.Equal(UpgradeParse.Upgrade, parse);
        Assert.Equal(new UpgradeRequest(Key, "https://game.example", "permessage-deflate"), request);
        Assert.Equal(text.Length, headLength);
    }

    [Theory]
    [InlineData("GET /v1/websocket?token=abc HTTP/1.1")]
    [InlineData("GET /V1/WebSocket HTTP/1.1")]
    public void The_path_is_matched_as_the_endpoint_matches_it(string requestLine) =>
        Assert.Equal(UpgradeParse.Upgrade, Parse(Request(requestLine)));

    [Fact]
    public void Every_prefix_of_an_upgrade_asks_for_more_bytes()
    {
        var text = Request();
        for (var length = 0; length < text.Length; length++)
        {
            Assert.Equal(UpgradeParse.NeedMore, Parse(text[..length]));
        }
    }

    [Fact]
    public void A_head_split_over_many_segments_is_read_whole()
    {
        var bytes = Encoding.ASCII.GetBytes(Request());
        var first = new Segment(bytes.AsMemory(0, 7));
        var last = first.Append(bytes.AsMemory(7, 40)).Append(bytes.AsMemory(47));

        var parse = UpgradeRequestParser.Parse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), out var request, out var headLength);

        Assert.Equal(UpgradeParse.Upgrade, parse);
        Assert.Equal(Key, request!.Key);
        Assert.Equal(bytes.Length, headLength);
    }

    [Theory]
    [InlineData("POST /v1/websocket HTTP/1.1")]
    [InlineData("GET /v1/websocket HTTP/1.0")]
    [InlineData("GET /v1/websocket/ HTTP/1.1")]
    [InlineData("GET /v1/websocketx HTTP/1.1")]
    [InlineData("GET /v1/api/rooms HTTP/1.1")]
    [InlineData("GET /healthz HTTP/1.1")]
    [InlineData("GET  /v1/websocket HTTP/1.1")]
    [InlineData("GET /v1/websocket?a b HTTP/1.1")]
    [InlineData("GET /v1/websocket HTTP/2.0")]
    public void Another_request_line_is_left_to_Kestrel(string requestLine) =>
        Assert.Equal(UpgradeParse.NotOurs, Parse(Request(requestLine)));

    [Theory]
    [InlineData("Sec-WebSocket-Version: 12")]
    [InlineData("Sec-WebSocket-Version:")]
    [InlineData("Sec-WebSocket-Key: c2hvcnQ=")]
    [InlineData("Sec-WebSocket-Key: not base64!")]
    [InlineData("Sec-WebSocket-Key:")]
    [InlineData("Upgrade: h2c")]
    [InlineData("Connection: keep-alive")]
    [InlineData("Host:")]
    [InlineData("Content-Length: 5")]
    [InlineData("Transfer-Encoding: chunked")]
    public void An_upgrade_the_endpoint_would_refuse_or_read_otherwise_is_left_to_Kestrel(string header) =>
        Assert.Equal(UpgradeParse.NotOurs, Parse(Request(headers: header)));

    [Fact]
    public void Tokens_are_found_in_lists_of_any_case() =>
        Assert.Equal(UpgradeParse.Upgrade, Parse(Request(headers: ["Connection: keep-alive, UPGRADE", "Upgrade: WebSocket"])));

    [Theory]
    [InlineData("GET /v1/websocket HTTP/1.1\r\nHost: a\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    [InlineData("GET /v1/websocket HTTP/1.1\r\nHost: a\r\n X-Folded: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    [InlineData("GET /v1/websocket HTTP/1.1\r\nHost : a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    [InlineData("GET /v1/websocket HTTP/1.1\r\nHost: a\r\nX-Tab:\tb\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    [InlineData("GET /v1/websocket HTTP/1.1\r\nHost: a\r\nOrigin: https://a.example\r\nOrigin: https://b.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    public void A_head_that_is_not_written_the_plain_way_is_left_to_Kestrel(string text) =>
        Assert.Equal(UpgradeParse.NotOurs, Parse(text));

    [Theory]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", nameof(UpgradeParse.NotOurs))]
    [InlineData("\x16", nameof(UpgradeParse.NotOurs))]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", nameof(UpgradeParse.NotOurs))]
    [InlineData("GET /healthz", nameof(UpgradeParse.NotOurs))]
    [InlineData("G", nameof(UpgradeParse.NeedMore))]
    [InlineData("GET /v", nameof(UpgradeParse.NeedMore))]
    [InlineData("GET /v1/websocket", nameof(UpgradeParse.NeedMore))]
    [InlineData("GET /v1/websocket?", nameof(UpgradeParse.NeedMore))]
    public void Other_protocols_and_requests_are_told_apart_from_the_first_bytes(string start, string expected) =>
        Assert.Equal(Enum.Parse<UpgradeParse>(expected), Parse(start));

    [Fact]
    public void A_head_longer_than_the_lean_path_reads_is_left_to_Kestrel()
    {
        var text = Request(headers: $"X-Padding: {new string('a', UpgradeRequestParser.MaxHeadBytes)}");

        Assert.Equal(UpgradeParse.NotOurs, Parse(text));
        Assert.Equal(UpgradeParse.NotOurs, Parse(text[..(UpgradeRequestParser.MaxHeadBytes + 10)]));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
