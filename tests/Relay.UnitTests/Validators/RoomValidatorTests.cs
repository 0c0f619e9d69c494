using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;
using Relay.Application.Rooms.CreateRoom;
using Relay.Application.Rooms.ListRooms;
using Relay.Application.Rooms.PushMessage;
using Relay.Application.Rooms.UpdateRoom;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Validators;

public sealed class RoomValidatorTests
{
    private const int Cap = 100;

    private readonly CreateRoomValidator _create = new(Rooms.Registry(), Options.Create(new RelayOptions { MaxClientsCap = Cap }));
    private readonly UpdateRoomValidator _update = new(Options.Create(new RelayOptions { MaxClientsCap = Cap }));

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>A JSON object whose serialized form is exactly <paramref name="bytes"/> bytes.</summary>
    private static JsonElement ObjectOfSize(int bytes) => Json("{\"k\":\"" + new string('x', bytes - 8) + "\"}");

    [Fact]
    public void Create_accepts_an_empty_request()
    {
        Assert.True(_create.Validate(new CreateRoomCommand()).IsValid);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("Room_1-b")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Create_accepts_ids_of_1_to_64_url_safe_characters(string id)
    {
        Assert.True(_create.Validate(new CreateRoomCommand(Id: id)).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("a+b")]
    [InlineData("é")]
    [InlineData("room\n")]
    [InlineData("\nroom")]
    public void Create_rejects_other_ids(string id)
    {
        var result = _create.Validate(new CreateRoomCommand(Id: id));

        Assert.False(result.IsValid, $"id {JsonSerializer.Serialize(id)} was accepted");
        Assert.Equal("Id", Assert.Single(result.Errors).PropertyName);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(256, true)]
    [InlineData(7, false)]
    [InlineData(257, false)]
    [InlineData(0, false)]
    public void Create_secret_has_8_to_256_characters(int length, bool valid)
    {
        Assert.Equal(valid, _create.Validate(new CreateRoomCommand(Secret: new string('s', length))).IsValid);
    }

    [Theory]
    [InlineData("mesh", true)]
    [InlineData("host", true)]
    [InlineData("Mesh", false)]
    [InlineData("p2p", false)]
    [InlineData("", false)]
    public void Create_protocol_is_a_registered_name(string protocol, bool valid)
    {
        Assert.Equal(valid, _create.Validate(new CreateRoomCommand(Protocol: protocol)).IsValid);
    }

    [Theory]
    [InlineData("first", true)]
    [InlineData("secret", true)]
    [InlineData("First", false)]
    [InlineData("random", false)]
    [InlineData("", false)]
    public void Create_host_assignment_is_first_or_secret(string assignment, bool valid)
    {
        Assert.Equal(valid, _create.Validate(new CreateRoomCommand(HostAssignment: assignment)).IsValid);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(Cap, true)]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    [InlineData(Cap + 1, false)]
    public void Max_clients_is_between_1_and_the_cap(int maxClients, bool valid)
    {
        Assert.Equal(valid, _create.Validate(new CreateRoomCommand(MaxClients: maxClients)).IsValid);
        Assert.Equal(valid, _update.Validate(new UpdateRoomCommand("r", maxClients, null, null)).IsValid);
    }

    [Fact]
    public void Max_clients_failure_is_reported_on_the_field()
    {
        var result = _create.Validate(new CreateRoomCommand(MaxClients: 0));

        Assert.Equal("MaxClients", Assert.Single(result.Errors).PropertyName);
    }

    [Theory]
    [InlineData("{}", true)]
    [InlineData("""{"a":{"b":[1,2]}}""", true)]
    [InlineData("null", true)]
    [InlineData("[]", false)]
    [InlineData("\"text\"", false)]
    [InlineData("3", false)]
    [InlineData("true", false)]
    public void Metadata_is_a_json_object(string json, bool valid)
    {
        Assert.Equal(valid, _create.Validate(new CreateRoomCommand(Metadata: Json(json))).IsValid);
        Assert.Equal(valid, _update.Validate(new UpdateRoomCommand("r", null, null, Json(json))).IsValid);
    }

    [Fact]
    public void Metadata_is_at_most_4096_bytes()
    {
        var fits = ObjectOfSize(4096);
        var tooBig = ObjectOfSize(4097);
        Assert.Equal(4096, fits.GetRawText().Length);

        Assert.True(_create.Validate(new CreateRoomCommand(Metadata: fits)).IsValid);
        Assert.False(_create.Validate(new CreateRoomCommand(Metadata: tooBig)).IsValid);
        Assert.True(_update.Validate(new UpdateRoomCommand("r", null, null, fits)).IsValid);
        Assert.False(_update.Validate(new UpdateRoomCommand("r", null, null, tooBig)).IsValid);
    }

    [Fact]
    public void Metadata_size_counts_utf8_bytes()
    {
        // 2048 two-byte characters: 4096 + 8 bytes of UTF-8 although only 2056 characters.
        var metadata = Json("{\"k\":\"" + new string('é', 2048) + "\"}");

        Assert.False(_create.Validate(new CreateRoomCommand(Metadata: metadata)).IsValid);
    }

    [Fact]
    public void Update_accepts_an_empty_patch()
    {
        Assert.True(_update.Validate(new UpdateRoomCommand("r", null, true, null)).IsValid);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(0, 500, true)]
    [InlineData(1000, 50, true)]
    [InlineData(-1, 50, false)]
    [InlineData(0, 0, false)]
    [InlineData(0, 501, false)]
    [InlineData(0, -5, false)]
    public void List_offset_and_limit(int offset, int limit, bool valid)
    {
        Assert.Equal(valid, new ListRoomsValidator().Validate(new ListRoomsQuery(offset, limit)).IsValid);
    }

    [Fact]
    public void List_defaults_are_valid()
    {
        var query = new ListRoomsQuery();

        Assert.Equal((0, 50), (query.Offset, query.Limit));
        Assert.True(new ListRoomsValidator().Validate(query).IsValid);
    }

    [Fact]
    public void Push_requires_data()
    {
        var validator = new PushMessageValidator();

        Assert.False(validator.Validate(new PushMessageCommand("r", default, null)).IsValid);
        Assert.True(validator.Validate(new PushMessageCommand("r", Json("null"), null)).IsValid);
        Assert.True(validator.Validate(new PushMessageCommand("r", Json("""{"a":1}"""), null)).IsValid);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(64, true)]
    [InlineData(0, false)]
    [InlineData(65, false)]
    public void Push_to_lists_1_to_64_ids(int count, bool valid)
    {
        var to = Enumerable.Range(1, count).ToArray();

        Assert.Equal(valid, new PushMessageValidator().Validate(new PushMessageCommand("r", Json("1"), to)).IsValid);
    }

    [Fact]
    public void Push_to_rejects_non_positive_ids()
    {
        Assert.False(new PushMessageValidator().Validate(new PushMessageCommand("r", Json("1"), [3, 0])).IsValid);
    }
}
