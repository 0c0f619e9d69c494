using System.Text.Json;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Frames;

/// <summary>
/// Builds the server-to-client control messages of the wire contract. Room events (`client_joined`, `client_left`,
/// `client_away`, `client_back`, `host_changed`) carry `seq` in a sequenced room (a seq &gt; 0).
/// </summary>
public static class ServerFrames
{
    /// <summary>
    /// `connected`, for <paramref name="self"/> just seated (before it is visible to relays, so it is listed last if the
    /// member list does not hold it yet). A resumable joiner also gets its <paramref name="resumeToken"/> and the room's
    /// latest <paramref name="seq"/>.
    /// </summary>
    public static OutboundFrame Connected(Room room, Session self, MessageRef messageRef, string? resumeToken = null, long seq = 0)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Connected);
        WriteRoomView(w, room, self);
        WriteResume(w, resumeToken, seq);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    /// <summary>`resumed`: the room as the client found it on its return, a new token, and how many events follow.</summary>
    public static OutboundFrame Resumed(ResumeView view, MessageRef messageRef, string resumeToken, int missed)
    {
        ArgumentNullException.ThrowIfNull(view);
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Resumed);
        w.WriteString("roomId"u8, view.RoomId);
        w.WriteNumber("clientId"u8, view.ClientId);
        WriteHostId(w, view.HostId);
        w.WriteBoolean("isHost"u8, view.HostId == view.ClientId);
        w.WriteString("protocol"u8, view.Protocol);
        w.WritePropertyName("metadata"u8);
        w.WriteRawValue(view.Metadata.Utf8, skipInputValidation: true);
        w.WriteStartArray("clients"u8);
        foreach (var member in view.Members)
        {
            WriteClient(w, member, view.HostId);
        }

        w.WriteEndArray();
        WriteResume(w, resumeToken, view.Seq);
        w.WriteNumber("missed"u8, missed);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientJoined(int clientId, string? name, string? userId = null, long seq = 0)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.ClientJoined);
        w.WriteNumber("clientId"u8, clientId);
        WriteName(w, name);
        if (userId is not null)
        {
            w.WriteString("userId"u8, userId);
        }

        WriteSeq(w, seq);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientLeft(int clientId, string reason, long seq = 0)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.ClientLeft);
        w.WriteNumber("clientId"u8, clientId);
        w.WriteString("reason"u8, reason);
        WriteSeq(w, seq);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientAway(int clientId, long seq)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.ClientAway);
        w.WriteNumber("clientId"u8, clientId);
        WriteSeq(w, seq);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientBack(int clientId, long seq)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.ClientBack);
        w.WriteNumber("clientId"u8, clientId);
        WriteSeq(w, seq);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame HostChanged(int? hostId, long seq = 0)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.HostChanged);
        WriteHostId(w, hostId);
        WriteSeq(w, seq);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Kicked(string reason)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Kicked);
        w.WriteString("reason"u8, reason);
        return JsonFrameWriter.Finish(w);
    }

    /// <summary>`room_closed`; <paramref name="message"/> is the host's optional text for `closed_by_host`.</summary>
    public static OutboundFrame RoomClosed(string reason, string? message = null)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.RoomClosed);
        w.WriteString("reason"u8, reason);
        if (message is not null)
        {
            w.WriteString("message"u8, message);
        }

        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Left(MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Left);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Pong(MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Pong);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Error(string code, string message, MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start(Wire.EncodedServerTypes.Error);
        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    private static void WriteRoomView(Utf8JsonWriter w, Room room, Session self)
    {
        var hostId = room.HostId;
        w.WriteString("roomId"u8, room.Id);
        w.WriteNumber("clientId"u8, self.ClientId);
        WriteHostId(w, hostId);
        w.WriteBoolean("isHost"u8, hostId == self.ClientId);
        w.WriteString("protocol"u8, room.Protocol.Name);
        w.WritePropertyName("metadata"u8);
        w.WriteRawValue(room.Metadata.Utf8, skipInputValidation: true);
        w.WriteStartArray("clients"u8);
        var selfListed = false;
        foreach (var member in room.Members)
        {
            WriteClient(w, member, hostId);
            selfListed |= ReferenceEquals(member, self);
        }

        if (!selfListed)
        {
            WriteClient(w, self, hostId);
        }

        w.WriteEndArray();
    }

    private static void WriteResume(Utf8JsonWriter w, string? resumeToken, long seq)
    {
        if (resumeToken is not null)
        {
            w.WriteString("resumeToken"u8, resumeToken);
        }

        WriteSeq(w, seq);
    }

    private static void WriteClient(Utf8JsonWriter w, Session member, int? hostId) =>
        WriteClient(w, new MemberView(member.ClientId, member.Name, member.UserId, member.IsAway), hostId);

    private static void WriteClient(Utf8JsonWriter w, MemberView member, int? hostId)
    {
        w.WriteStartObject();
        w.WriteNumber("clientId"u8, member.ClientId);
        WriteName(w, member.Name);
        w.WriteBoolean("isHost"u8, member.ClientId == hostId);
        if (member.UserId is not null)
        {
            w.WriteString("userId"u8, member.UserId);
        }

        if (member.Away)
        {
            w.WriteBoolean("away"u8, true);
        }

        w.WriteEndObject();
    }

    private static void WriteSeq(Utf8JsonWriter w, long seq)
    {
        if (seq > 0)
        {
            w.WriteNumber("seq"u8, seq);
        }
    }

    private static void WriteHostId(Utf8JsonWriter w, int? hostId)
    {
        if (hostId is { } id)
        {
            w.WriteNumber("hostId"u8, id);
        }
        else
        {
            w.WriteNull("hostId"u8);
        }
    }

    private static void WriteName(Utf8JsonWriter w, string? name)
    {
        if (name is null)
        {
            w.WriteNull("name"u8);
        }
        else
        {
            w.WriteString("name"u8, name);
        }
    }

    private static void WriteRef(Utf8JsonWriter w, MessageRef messageRef)
    {
        if (messageRef.IsPresent)
        {
            w.WritePropertyName("ref"u8);
            w.WriteRawValue(messageRef.RawJson.Span, skipInputValidation: true);
        }
    }
}
