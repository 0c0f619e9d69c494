using Relay.Application.Common;
using Relay.Application.Realtime.CloseRoom;
using Relay.Application.Realtime.Connect;
using Relay.Application.Realtime.Disconnect;
using Relay.Application.Realtime.Kick;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Realtime.Resume;
using Relay.Application.Realtime.Send;
using Relay.Application.Realtime.TransferHost;
using Relay.Application.Realtime;
using Relay.Domain.Frames;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Validators;

public sealed class RealtimeValidatorTests
{
    private static readonly ClientConnection Session = new TestClient().Client;

    private static ConnectCommand Connect(string? roomId = "room", string? secret = "secret", string? name = null) =>
        new(Session, roomId, secret, name, false, MessageRef.None);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    [InlineData(64)]
    public void Connect_accepts_names_up_to_64_characters(object? name)
    {
        var value = name is int length ? new string('n', length) : (string?)name;

        Assert.True(new ConnectValidator().Validate(Connect(name: value)).IsValid);
    }

    [Fact]
    public void Connect_rejects_a_name_of_65_characters()
    {
        var result = new ConnectValidator().Validate(Connect(name: new string('n', 65)));

        Assert.False(result.IsValid);
        Assert.Equal("Name", Assert.Single(result.Errors).PropertyName);
    }

    [Fact]
    public void Connect_counts_characters_not_bytes()
    {
        Assert.True(new ConnectValidator().Validate(Connect(name: new string('é', 64))).IsValid);
    }

    [Theory]
    [InlineData(null, "secret")]
    [InlineData("", "secret")]
    [InlineData("room", null)]
    [InlineData("room", "")]
    public void Connect_requires_room_id_and_secret(string? roomId, string? secret)
    {
        Assert.False(new ConnectValidator().Validate(Connect(roomId, secret)).IsValid);
    }

    [Fact]
    public void Connect_bounds_room_id_and_secret_lengths()
    {
        var validator = new ConnectValidator();

        Assert.True(validator.Validate(Connect(new string('r', 64), new string('s', 256))).IsValid);
        Assert.False(validator.Validate(Connect(new string('r', 65))).IsValid);
        Assert.False(validator.Validate(Connect(secret: new string('s', 257))).IsValid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    public void Send_accepts_1_to_64_recipients(int count)
    {
        var to = Enumerable.Range(1, count).ToArray();

        Assert.True(new SendValidator().Validate(new SendCommand(Session, to, default, FrameKind.Text)).IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Send_rejects_other_recipient_counts(int count)
    {
        var to = Enumerable.Range(1, count).ToArray();

        Assert.False(new SendValidator().Validate(new SendCommand(Session, to, default, FrameKind.Text)).IsValid);
    }

    [Fact]
    public void Send_requires_recipients()
    {
        var result = new SendValidator().Validate(new SendCommand(Session, null, default, FrameKind.Text));

        Assert.False(result.IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Send_rejects_non_positive_ids(int id)
    {
        Assert.False(new SendValidator().Validate(new SendCommand(Session, [1, id], default, FrameKind.Text)).IsValid);
    }

    [Fact]
    public void Send_accepts_the_largest_id()
    {
        Assert.True(new SendValidator().Validate(new SendCommand(Session, [int.MaxValue], default, FrameKind.Text)).IsValid);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(0, false)]
    [InlineData(-3, false)]
    [InlineData(1, true)]
    [InlineData(int.MaxValue, true)]
    public void Kick_and_transfer_host_need_a_positive_client_id(int? clientId, bool valid)
    {
        Assert.Equal(valid, new KickValidator().Validate(new KickCommand(Session, clientId, null)).IsValid);
        Assert.Equal(valid, new TransferHostValidator().Validate(new TransferHostCommand(Session, clientId)).IsValid);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void Kick_and_close_room_reasons_have_at_most_256_characters(int length, bool valid)
    {
        var reason = new string('x', length);

        Assert.Equal(valid, new KickValidator().Validate(new KickCommand(Session, 2, reason)).IsValid);
        Assert.Equal(valid, new CloseRoomValidator().Validate(new CloseRoomCommand(Session, reason)).IsValid);
    }

    [Fact]
    public void Reasons_are_optional()
    {
        Assert.True(new KickValidator().Validate(new KickCommand(Session, 2, null)).IsValid);
        Assert.True(new CloseRoomValidator().Validate(new CloseRoomCommand(Session, null)).IsValid);
    }

    [Theory]
    [InlineData(LeaveReasons.Disconnected, true)]
    [InlineData(LeaveReasons.Timeout, true)]
    [InlineData(LeaveReasons.Left, false)]
    [InlineData(LeaveReasons.Kicked, false)]
    public void Disconnect_reason_is_disconnected_or_timeout(string reason, bool valid)
    {
        Assert.Equal(valid, new DisconnectValidator().Validate(new DisconnectCommand(Session, reason, MayResume: false)).IsValid);
    }

    [Theory]
    [InlineData("room", "token", 0L, true)]
    [InlineData("room", "token", 42L, true)]
    [InlineData(null, "token", 0L, false)]
    [InlineData("", "token", 0L, false)]
    [InlineData("room", null, 0L, false)]
    [InlineData("room", "", 0L, false)]
    [InlineData("room", "token", null, false)]
    [InlineData("room", "token", -1L, false)]
    public void Resume_needs_a_room_a_token_and_a_non_negative_seq(string? roomId, string? token, long? seq, bool valid)
    {
        Assert.Equal(valid, new ResumeValidator().Validate(new ResumeCommand(Session, roomId, token, seq, MessageRef.None)).IsValid);
    }

    [Fact]
    public void Resume_bounds_room_id_and_token_lengths()
    {
        var validator = new ResumeValidator();

        Assert.True(validator.Validate(new ResumeCommand(Session, new string('r', 64), new string('t', 256), 0, MessageRef.None)).IsValid);
        Assert.False(validator.Validate(new ResumeCommand(Session, new string('r', 65), "t", 0, MessageRef.None)).IsValid);
        Assert.False(validator.Validate(new ResumeCommand(Session, "r", new string('t', 257), 0, MessageRef.None)).IsValid);
    }
}
