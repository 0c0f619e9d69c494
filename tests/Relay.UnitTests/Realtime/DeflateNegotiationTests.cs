using Relay.Api.Configuration;
using Relay.Api.Realtime;

namespace Relay.UnitTests.Realtime;

/// <summary>
/// `permessage-deflate` negotiation (RFC 7692 section 5 and 7) from raw `Sec-WebSocket-Extensions` values: which
/// offers the server takes, and that its answer always turns context takeover off both ways.
/// </summary>
public sealed class DeflateNegotiationTests
{
    private const string Accepted = DeflateNegotiation.AcceptedResponse;
    private const string AcceptedWithServerWindow = Accepted + "; server_max_window_bits=15";

    private static readonly CompressionOptions Enabled = new() { Enabled = true };

    private static string? Negotiate(params string?[] headerValues) => DeflateNegotiation.Negotiate(headerValues, Enabled);

    [Fact]
    public void The_answer_names_no_context_takeover_both_ways()
    {
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover", Accepted);
    }

    [Theory]
    [InlineData("permessage-deflate")]
    [InlineData("PerMessage-Deflate")]
    [InlineData("permessage-deflate; client_max_window_bits")]
    [InlineData("permessage-deflate; client_max_window_bits=8")]
    [InlineData("permessage-deflate; client_max_window_bits=15")]
    [InlineData("permessage-deflate; client_max_window_bits=\"12\"")]
    [InlineData("permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; client_no_context_takeover")]
    [InlineData("permessage-deflate;server_no_context_takeover;client_no_context_takeover")]
    [InlineData("  permessage-deflate ;  client_max_window_bits = 10 ; client_no_context_takeover  ")]
    public void Offers_the_server_can_honour_are_accepted(string offer)
    {
        Assert.Equal(Accepted, Negotiate(offer));
    }

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=15")]
    [InlineData("permessage-deflate; server_max_window_bits=\"15\"; client_max_window_bits")]
    public void An_offer_of_server_max_window_bits_15_is_accepted_and_echoed(string offer)
    {
        Assert.Equal(AcceptedWithServerWindow, Negotiate(offer));
    }

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=10")] // the server always deflates with 15 bits
    [InlineData("permessage-deflate; server_max_window_bits=8")]
    [InlineData("permessage-deflate; server_max_window_bits")] // needs a value
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; client_max_window_bits=7")]
    [InlineData("permessage-deflate; client_max_window_bits=16")]
    [InlineData("permessage-deflate; client_max_window_bits=015")] // no leading zeros
    [InlineData("permessage-deflate; client_max_window_bits=abc")]
    [InlineData("permessage-deflate; client_max_window_bits=")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")] // takes no value
    [InlineData("permessage-deflate; client_no_context_takeover=\"\"")]
    [InlineData("permessage-deflate; client_no_context_takeover; client_no_context_takeover")] // repeated
    [InlineData("permessage-deflate; client_max_window_bits; Client_Max_Window_Bits=10")]
    [InlineData("permessage-deflate; x-unknown")]
    [InlineData("permessage-deflate; ;")]
    public void Offers_with_parameters_it_cannot_honour_are_declined(string offer)
    {
        Assert.Null(Negotiate(offer));
    }

    [Theory]
    [InlineData("x-webkit-deflate-frame")]
    [InlineData("deflate-frame, x-custom; a=1")]
    [InlineData("permessage-deflatex")]
    [InlineData("x; y=\"a, permessage-deflate, b\"")] // a quoted comma does not start an offer
    [InlineData("")]
    [InlineData(",,")]
    public void Without_a_permessage_deflate_offer_there_is_no_compression(string header)
    {
        Assert.Null(Negotiate(header));
    }

    [Fact]
    public void No_header_means_no_compression()
    {
        Assert.Null(Negotiate());
        Assert.Null(Negotiate((string?)null));
    }

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=10, permessage-deflate")]
    [InlineData("permessage-deflate; x-unknown, permessage-deflate; client_max_window_bits")]
    [InlineData("x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover")]
    [InlineData("foo; bar=\"a;b,c\", permessage-deflate")]
    public void A_declined_offer_falls_back_to_the_next_one(string header)
    {
        Assert.Equal(Accepted, Negotiate(header));
    }

    [Fact]
    public void The_first_acceptable_offer_wins()
    {
        Assert.Equal(AcceptedWithServerWindow, Negotiate("permessage-deflate; server_max_window_bits=15, permessage-deflate"));
        Assert.Equal(Accepted, Negotiate("permessage-deflate, permessage-deflate; server_max_window_bits=15"));
    }

    [Fact]
    public void Offers_on_several_header_lines_are_read_in_order()
    {
        Assert.Equal(Accepted, Negotiate("x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=9", "permessage-deflate"));
        Assert.Equal(Accepted, Negotiate(null, string.Empty, "permessage-deflate"));
    }

    [Fact]
    public void Nothing_is_negotiated_when_compression_is_disabled()
    {
        Assert.Null(DeflateNegotiation.Negotiate(["permessage-deflate"], new CompressionOptions()));
        Assert.Null(DeflateNegotiation.Negotiate(["permessage-deflate"], new CompressionOptions { Enabled = false, MinBytes = 0 }));
    }

    [Fact]
    public void The_websocket_inflates_without_context_takeover_and_any_window()
    {
        var options = DeflateNegotiation.DeflateOptions();

        Assert.False(options.ClientContextTakeover);
        Assert.False(options.ServerContextTakeover);
        Assert.Equal(15, options.ClientMaxWindowBits);
        Assert.Equal(15, options.ServerMaxWindowBits);
    }
}
