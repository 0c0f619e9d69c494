using System.Text;
using CsCheck;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.UnitTests.Parsing;

/// <summary>
/// Property-based fuzzing (CsCheck) of the two parsers every client byte goes through: <see cref="ClientMessageParser"/>
/// for text messages and <see cref="BinaryMessageParser"/> for binary ones. Inputs are arbitrary bytes, mutated
/// valid messages, and JSON built from escape edge cases (lone and paired surrogates, control escapes, broken
/// escapes), deep nesting and huge numbers. Each parser must always return a result, never throw, and its error
/// message must never repeat the secret the message presented. Each property runs for a bounded time; a failure
/// prints the seed that reproduces it (set it with the CsCheck_Seed environment variable).
/// </summary>
public sealed class ParserFuzzTests
{
    /// <summary>Seconds each property runs: enough for tens of thousands of inputs, short enough for CI.</summary>
    private const int Seconds = 2;

    private const int MaxDepth = 64;

    private static readonly string[] Templates =
    [
        """{"secret":"{secret}","type":"connect","roomId":"room-1","name":"ann","ref":1}""",
        """{"secret":"{secret}","type":"connect","roomId":"r","ref":"c-1"}""",
        """{"type":"broadcast","data":{"a":[1,2.5,"x",null,true],"b":{"c":"d"}},"ref":"b-1"}""",
        """{"type":"send","to":[1,2,3],"data":"hello","ref":42}""",
        """{"type":"kick","clientId":2,"reason":"spam"}""",
        """{"type":"transfer_host","clientId":3}""",
        """{"type":"close_room","reason":"bye"}""",
        """{"type":"leave","ref":"l"}""",
        """{"type":"ping","ref":"p"}""",
    ];

    /// <summary>Pieces of JSON string content: plain text, escapes of every kind, surrogates alone and in pairs, broken escapes.</summary>
    private static readonly string[] StringPieces =
    [
        "a", "ping", "connect", "é", "😀", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u0041",
        "\\u00e9", "\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\uD800", "\\uDC00", "\\ud83d\\ude00", "\\ud83d", "\\ude00",
        "\\ud800\\u0041", "\\ud800\\ud800", "\\u12", "\\x41", "\\", "\"", "\u0001", "\\uFFFF", "\\uFEFF",
    ];

    private static readonly string[] Fields = ["type", "ref", "roomId", "secret", "name", "reason", "clientId", "to", "data", "\\ud800", "x"];

    private static readonly string[] Values =
    [
        "1", "-1", "0", "-0", "1.5", "1e400", "-1e400", "99999999999999999999", "2147483648", "-2147483649", "1E2", "0.0000001",
        "true", "false", "null", "[]", "{}", "[1,2]", "[\"1\"]", "[1.5]", "[99999999999999999999]", "{\"a\":1}",
    ];

    private static readonly Gen<string> Secret = Gen.Char["ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"].Array[16, 40]
        .Select(chars => "S" + new string(chars));

    private static readonly Gen<string> JsonString = Gen.OneOf(StringPieces).Array[0, 8].Select(pieces => "\"" + string.Concat(pieces) + "\"");

    private static readonly Gen<string> Nesting = Gen.Int[1, 300].Select(depth => new string('[', depth) + new string(']', depth));

    private static readonly Gen<string> Value = Gen.Frequency((4, JsonString), (3, Gen.OneOf(Values)), (1, Nesting));

    /// <summary>An object of 0-6 fields, known and unknown, with edge-case names and values, presenting <c>secret</c> first.</summary>
    private static readonly Gen<(byte[] Message, string Secret)> EdgeCaseObject =
        Gen.Select(
            Secret,
            Gen.Select(Gen.OneOf(Fields), Value).Array[0, 6],
            (secret, fields) => (
                Encoding.UTF8.GetBytes($"{{\"secret\":\"{secret}\"" + string.Concat(fields.Select(f => $",\"{f.Item1}\":{f.Item2}")) + "}"),
                secret));

    /// <summary>A valid message with 1-4 random edits: a byte replaced, deleted, or inserted (often a JSON delimiter).</summary>
    private static readonly Gen<(byte[] Message, string Secret)> MutatedMessage =
        Gen.Select(
            Gen.OneOf(Templates),
            Secret,
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.OneOf("{}[]\",:\\u0d8e1 "u8.ToArray()), Gen.Byte).Array[1, 4],
            (template, secret, edits) =>
            {
                var bytes = Encoding.UTF8.GetBytes(template.Replace("{secret}", secret, StringComparison.Ordinal)).ToList();
                foreach (var (kind, position, delimiter, any) in edits)
                {
                    var at = position % (bytes.Count + 1);
                    switch (kind)
                    {
                        case 0 when at < bytes.Count:
                            bytes[at] = any;
                            break;
                        case 1 when at < bytes.Count:
                            bytes.RemoveAt(at);
                            break;
                        default:
                            bytes.Insert(at, delimiter);
                            break;
                    }
                }

                return (bytes.ToArray(), secret);
            });

    [Fact]
    public void Arbitrary_bytes_always_get_a_result_from_the_text_parser() =>
        Gen.Byte.Array[0, 512].Sample(bytes => AssertParses(bytes, secret: null), time: Seconds);

    [Fact]
    public void Mutated_valid_messages_always_get_a_result_and_never_echo_the_secret() =>
        MutatedMessage.Sample(m => AssertParses(m.Message, m.Secret), time: Seconds, print: m => Encoding.UTF8.GetString(m.Message));

    [Fact]
    public void Escapes_surrogates_nesting_and_huge_numbers_always_get_a_result_and_never_echo_the_secret() =>
        EdgeCaseObject.Sample(m => AssertParses(m.Message, m.Secret), time: Seconds, print: m => Encoding.UTF8.GetString(m.Message));

    [Fact]
    public void Arbitrary_and_mutated_binary_messages_always_get_a_result() =>
        Gen.OneOf(
                Gen.Byte.Array[0, 64],
                Gen.Select(Gen.OneOf<byte>(BinaryMessageParser.BroadcastOperation, BinaryMessageParser.SendOperation, 0x02, 0xff), Gen.Byte.Array[0, 16], (op, rest) => (byte[])[op, .. rest]))
            .Sample(
                frame =>
                {
                    var result = BinaryMessageParser.Parse(frame, out var message);
                    if (result.IsError)
                    {
                        AssertClearError(result, null);
                        Assert.True(frame.Length == 0 || frame[0] != BinaryMessageParser.BroadcastOperation, "a broadcast is never refused");
                        return;
                    }

                    switch (frame[0])
                    {
                        case BinaryMessageParser.BroadcastOperation:
                            Assert.Null(message.Target);
                            Assert.Equal(frame.Length - 1, message.Payload.Length);
                            break;
                        case BinaryMessageParser.SendOperation:
                            Assert.Equal((frame[1] << 24) | (frame[2] << 16) | (frame[3] << 8) | frame[4], message.Target);
                            Assert.Equal(frame.Length - 5, message.Payload.Length);
                            break;
                        default:
                            Assert.Fail($"operation 0x{frame[0]:x2} was accepted");
                            break;
                    }
                },
                time: Seconds,
                print: Convert.ToHexString);

    /// <summary>The parser returns (an exception fails the property and is shrunk by CsCheck) with a clear, secret-free error.</summary>
    private static void AssertParses(byte[] utf8, string? secret)
    {
        var result = ClientMessageParser.Parse(utf8, MaxDepth, out _);
        if (result.IsError)
        {
            AssertClearError(result, secret);
        }
    }

    private static void AssertClearError(RealtimeResult result, string? secret)
    {
        Assert.True(result.ErrorCode is ErrorCodes.BadRequest or ErrorCodes.UnknownType, $"unexpected code {result.ErrorCode}");
        Assert.False(string.IsNullOrWhiteSpace(result.ErrorMessage));
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, result.ErrorMessage, StringComparison.Ordinal);
        }
    }
}
