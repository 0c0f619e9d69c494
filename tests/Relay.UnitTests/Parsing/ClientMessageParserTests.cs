using System.Text;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Parsing;

namespace Relay.UnitTests.Parsing;

public sealed class ClientMessageParserTests
{
    private const int MaxDepth = 64;

    private static RealtimeResult Parse(string json, out ClientMessage message) =>
        Parse(Encoding.UTF8.GetBytes(json), out message);

    private static RealtimeResult Parse(byte[] utf8, out ClientMessage message) =>
        ClientMessageParser.Parse(utf8, MaxDepth, out message);

    private static void AssertBadRequest(string json)
    {
        var result = Parse(json, out _);
        Assert.True(result.IsError, $"expected bad_request for: {json}");
        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(result.ErrorMessage));
    }

    private static string Raw(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Fact]
    public void Connect_with_all_fields()
    {
        var result = Parse("""{"type":"connect","roomId":"r-1","secret":"s3cret","name":"Ann \"A\" é","ref":"c1"}""", out var m);

        Assert.False(result.IsError);
        Assert.Equal(ClientMessageType.Connect, m.Type);
        Assert.Equal("r-1", m.RoomId);
        Assert.Equal("s3cret", m.Secret);
        Assert.Equal("Ann \"A\" é", m.Name);
        Assert.Equal("\"c1\"", Raw(m.Ref.RawJson));
        Assert.False(m.HasData);
    }

    [Fact]
    public void Broadcast_with_data()
    {
        var result = Parse("""{"type":"broadcast","data":{"x":1}}""", out var m);

        Assert.False(result.IsError);
        Assert.Equal(ClientMessageType.Broadcast, m.Type);
        Assert.True(m.HasData);
        Assert.Equal("""{"x":1}""", Raw(m.Data));
        Assert.False(m.Ref.IsPresent);
    }

    [Fact]
    public void Send_with_recipients_and_data_in_any_field_order()
    {
        var result = Parse("""{"data":[1,"two"],"to":[3, 1,2],"type":"send","ref":9}""", out var m);

        Assert.False(result.IsError);
        Assert.Equal(ClientMessageType.Send, m.Type);
        Assert.Equal([3, 1, 2], m.To!);
        Assert.Equal("""[1,"two"]""", Raw(m.Data));
        Assert.Equal("9", Raw(m.Ref.RawJson));
    }

    [Theory]
    [InlineData("""{"type":"leave"}""", ClientMessageType.Leave)]
    [InlineData("""{"type":"ping"}""", ClientMessageType.Ping)]
    [InlineData("""{"type":"close_room"}""", ClientMessageType.CloseRoom)]
    [InlineData("""{"type":"kick","clientId":3}""", ClientMessageType.Kick)]
    [InlineData("""{"type":"transfer_host","clientId":3}""", ClientMessageType.TransferHost)]
    public void Each_type_is_recognised(string json, ClientMessageType expected)
    {
        var result = Parse(json, out var m);

        Assert.False(result.IsError);
        Assert.Equal(expected, m.Type);
    }

    [Fact]
    public void Kick_with_client_id_and_reason()
    {
        var result = Parse("""{"type":"kick","clientId":12,"reason":"spam"}""", out var m);

        Assert.False(result.IsError);
        Assert.Equal(12, m.ClientId);
        Assert.Equal("spam", m.Reason);
    }

    [Fact]
    public void Transfer_host_and_close_room_fields()
    {
        Assert.False(Parse("""{"type":"transfer_host","clientId":7}""", out var transfer).IsError);
        Assert.Equal(7, transfer.ClientId);

        Assert.False(Parse("""{"type":"close_room","reason":"game over"}""", out var close).IsError);
        Assert.Equal("game over", close.Reason);
    }

    [Fact]
    public void Unknown_fields_are_ignored_whatever_their_shape()
    {
        var result = Parse("""{"type":"ping","extra":{"deep":[1,{"x":null}]},"more":"x"}""", out var m);

        Assert.False(result.IsError);
        Assert.Equal(ClientMessageType.Ping, m.Type);
    }

    [Theory]
    [InlineData("""{ "b" : [ 1 ,2, { "c" :null } ] ,"a":"\u00e9" }""")]
    [InlineData("[ 1,\t2 ,\n    3 ]")]
    [InlineData("""[]""")]
    [InlineData("""{}""")]
    [InlineData("""  "text with \"escapes\" and \\ and \u0041 é 😀" """)]
    [InlineData("""-12.50e+3""")]
    [InlineData("""0""")]
    [InlineData("""123456789012345678901234567890""")]
    [InlineData("""null""")]
    [InlineData("""true""")]
    [InlineData("""false""")]
    public void Data_is_sliced_byte_for_byte(string data)
    {
        var json = "{ \"type\" : \"broadcast\" ,\n\t\"data\" :\t" + data + "  \r\n, \"ref\":1 }";
        var bytes = Encoding.UTF8.GetBytes(json);

        var result = Parse(bytes, out var m);

        Assert.False(result.IsError, result.ErrorMessage);
        Assert.True(m.HasData);
        Assert.Equal(Encoding.UTF8.GetBytes(data.Trim()), m.Data.ToArray());
    }

    [Fact]
    public void Data_as_the_last_field_is_sliced_without_the_closing_brace()
    {
        var result = Parse("""{"type":"broadcast","data":{"a":[1,2]}   }""", out var m);

        Assert.False(result.IsError);
        Assert.Equal("""{"a":[1,2]}""", Raw(m.Data));
    }

    [Fact]
    public void Data_slice_points_into_the_original_buffer()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"type":"broadcast","data":"abc"}""");

        Parse(bytes, out var m);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(m.Data, out var segment));
        Assert.Same(bytes, segment.Array);
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("\"a\\u0062c\"")]
    [InlineData("\"\"")]
    [InlineData("42")]
    [InlineData("-7")]
    [InlineData("0")]
    [InlineData("9007199254740993")]
    public void Ref_is_captured_raw(string rawRef)
    {
        var result = Parse("{\"type\":\"ping\",\"ref\": " + rawRef + " }", out var m);

        Assert.False(result.IsError, result.ErrorMessage);
        Assert.True(m.Ref.IsPresent);
        Assert.Equal(rawRef, Raw(m.Ref.RawJson));
    }

    [Fact]
    public void Ref_of_64_characters_is_accepted_and_65_is_not()
    {
        Assert.False(Parse("{\"type\":\"ping\",\"ref\":\"" + new string('r', 64) + "\"}", out _).IsError);
        Assert.False(Parse("{\"type\":\"ping\",\"ref\":\"" + new string('é', 64) + "\"}", out _).IsError);
        Assert.False(Parse("{\"type\":\"ping\",\"ref\":\"" + string.Concat(Enumerable.Repeat("\\u0041", 64)) + "\"}", out _).IsError);

        AssertBadRequest("{\"type\":\"ping\",\"ref\":\"" + new string('r', 65) + "\"}");
        AssertBadRequest("{\"type\":\"ping\",\"ref\":\"" + string.Concat(Enumerable.Repeat("\\u0041", 65)) + "\"}");
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1E3")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1]")]
    [InlineData("99999999999999999999")]
    public void Ref_that_is_neither_a_short_string_nor_an_integer_is_a_bad_request(string rawRef)
    {
        AssertBadRequest("{\"type\":\"ping\",\"ref\":" + rawRef + "}");
    }

    [Theory]
    [InlineData("""{"type":"connect","roomId":1,"secret":"s"}""")]
    [InlineData("""{"type":"connect","roomId":"r","secret":true}""")]
    [InlineData("""{"type":"connect","roomId":"r","secret":"s","name":["n"]}""")]
    [InlineData("""{"type":"kick","clientId":"3"}""")]
    [InlineData("""{"type":"kick","clientId":1.5}""")]
    [InlineData("""{"type":"kick","clientId":3000000000}""")]
    [InlineData("""{"type":"kick","clientId":3,"reason":{}}""")]
    [InlineData("""{"type":"close_room","reason":5}""")]
    [InlineData("""{"type":"send","to":2,"data":1}""")]
    [InlineData("""{"type":"send","to":"2","data":1}""")]
    [InlineData("""{"type":"send","to":["2"],"data":1}""")]
    [InlineData("""{"type":"send","to":[1.5],"data":1}""")]
    [InlineData("""{"type":"send","to":[[1]],"data":1}""")]
    [InlineData("""{"type":"send","to":[null],"data":1}""")]
    [InlineData("""{"type":1}""")]
    [InlineData("""{"type":null}""")]
    [InlineData("""{"type":["ping"]}""")]
    public void Wrongly_typed_fields_are_bad_requests(string json)
    {
        AssertBadRequest(json);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("hello")]
    [InlineData("{\"type\":\"ping\"")]
    [InlineData("{\"type\":\"ping\",}")]
    [InlineData("{\"type\":'ping'}")]
    [InlineData("{type:\"ping\"}")]
    [InlineData("{\"type\":\"ping\"} x")]
    [InlineData("{\"type\":\"ping\"}{\"type\":\"ping\"}")]
    [InlineData("{\"type\":\"ping\"} /* c */")]
    [InlineData("{\"type\":\"ping\"/* c */}")]
    [InlineData("[{\"type\":\"ping\"}]")]
    [InlineData("\"ping\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void Malformed_or_non_object_messages_are_bad_requests(string json)
    {
        AssertBadRequest(json);
    }

    [Fact]
    public void Invalid_utf8_is_a_bad_request()
    {
        byte[] prefix = [.. "{\"type\":\"broadcast\",\"data\":\""u8];
        byte[] suffix = [.. "\"}"u8];

        foreach (byte[] invalid in new byte[][] { [0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf] })
        {
            var result = Parse([.. prefix, .. invalid, .. suffix], out _);
            Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        }
    }

    [Fact]
    public void Missing_type_is_a_bad_request_that_keeps_the_ref()
    {
        var result = Parse("""{"ref":"r7","data":1}""", out var m);

        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.Equal("\"r7\"", Raw(m.Ref.RawJson));
    }

    [Fact]
    public void A_field_error_keeps_the_ref_for_the_error_reply()
    {
        var result = Parse("""{"type":"kick","clientId":"x","ref":5}""", out var m);

        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.Equal("5", Raw(m.Ref.RawJson));
    }

    [Theory]
    [InlineData("""{"type":"dance"}""")]
    [InlineData("""{"type":"Broadcast","data":1}""")]
    [InlineData("""{"type":"PING"}""")]
    [InlineData("""{"type":""}""")]
    [InlineData("""{"type":"transfer-host","clientId":1}""")]
    public void Unknown_type_is_unknown_type(string json)
    {
        var result = Parse(json, out var m);

        Assert.Equal(ErrorCodes.UnknownType, result.ErrorCode);
        Assert.Equal(ClientMessageType.None, m.Type);
    }

    [Fact]
    public void Unknown_type_keeps_the_ref()
    {
        var result = Parse("""{"ref":"x1","type":"dance"}""", out var m);

        Assert.Equal(ErrorCodes.UnknownType, result.ErrorCode);
        Assert.Equal("\"x1\"", Raw(m.Ref.RawJson));
    }

    [Fact]
    public void Nesting_beyond_the_max_depth_is_a_bad_request()
    {
        var deep = new string('[', 100) + new string(']', 100);
        AssertBadRequest("{\"type\":\"broadcast\",\"data\":" + deep + "}");

        var deepIgnored = new string('[', 100) + new string(']', 100);
        AssertBadRequest("{\"type\":\"ping\",\"extra\":" + deepIgnored + "}");
    }

    [Fact]
    public void Nesting_within_the_max_depth_is_accepted()
    {
        var data = new string('[', 10) + new string(']', 10);
        var json = "{\"type\":\"broadcast\",\"data\":" + data + "}";

        var result = ClientMessageParser.Parse(Encoding.UTF8.GetBytes(json), 12, out var m);

        Assert.False(result.IsError, result.ErrorMessage);
        Assert.Equal(data, Raw(m.Data));
        Assert.Equal(ErrorCodes.BadRequest, ClientMessageParser.Parse(Encoding.UTF8.GetBytes(json), 10, out _).ErrorCode);
    }

    [Fact]
    public void Null_optional_fields_read_as_absent()
    {
        var result = Parse("""{"type":"connect","roomId":"r","secret":"s","name":null}""", out var m);

        Assert.False(result.IsError);
        Assert.Null(m.Name);
    }

    [Theory]
    [InlineData("""{"type":"ping","ref":"\ud800"}""")]
    [InlineData("""{"type":"\udc00"}""")]
    [InlineData("""{"type":"connect","roomId":"r","secret":"s\ud800\u0041"}""")]
    [InlineData("""{"type":"ping","\udbff":1}""")]
    public void An_unpaired_surrogate_escape_is_a_bad_request(string json) => AssertBadRequest(json);

    [Fact]
    public void A_surrogate_pair_escape_is_text()
    {
        var result = Parse("""{"type":"connect","roomId":"r","secret":"s","name":"\ud83d\ude00"}""", out var m);

        Assert.False(result.IsError, result.ErrorMessage);
        Assert.Equal("😀", m.Name);
    }
}
