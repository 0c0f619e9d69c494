using System.Text.Json;
using Relay.Application.Realtime.Parsing;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.Frames;

/// <summary>Builds the server-to-client control messages of the wire contract.</summary>
public static class ServerFrames
{
    public static OutboundFrame Connected(Room room, Session self, MessageRef messageRef)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(self);
        var w = JsonFrameWriter.Start("connected");
        w.WriteString("roomId"u8, room.Id);
        w.WriteNumber("clientId"u8, self.ClientId);
        WriteHostId(w, room.HostId);
        w.WriteBoolean("isHost"u8, room.HostId == self.ClientId);
        w.WriteString("protocol"u8, room.Protocol.Name);
        w.WritePropertyName("metadata"u8);
        w.WriteRawValue(room.Metadata.Utf8, skipInputValidation: true);
        w.WriteStartArray("clients"u8);
        var hostId = room.HostId;
        var selfListed = false;
        foreach (var member in room.Members)
        {
            WriteClient(w, member, hostId);
            selfListed |= ReferenceEquals(member, self);
        }

        if (!selfListed)
        {
            // Built while the joiner is seated but not yet visible among the members: it comes last.
            WriteClient(w, self, hostId);
        }

        w.WriteEndArray();
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientJoined(int clientId, string? name)
    {
        var w = JsonFrameWriter.Start("client_joined");
        w.WriteNumber("clientId"u8, clientId);
        WriteName(w, name);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame ClientLeft(int clientId, string reason)
    {
        var w = JsonFrameWriter.Start("client_left");
        w.WriteNumber("clientId"u8, clientId);
        w.WriteString("reason"u8, reason);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame HostChanged(int? hostId)
    {
        var w = JsonFrameWriter.Start("host_changed");
        WriteHostId(w, hostId);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Kicked(string reason)
    {
        var w = JsonFrameWriter.Start("kicked");
        w.WriteString("reason"u8, reason);
        return JsonFrameWriter.Finish(w);
    }

    /// <summary>`room_closed`; <paramref name="message"/> is the host's optional text for `closed_by_host`.</summary>
    public static OutboundFrame RoomClosed(string reason, string? message = null)
    {
        var w = JsonFrameWriter.Start("room_closed");
        w.WriteString("reason"u8, reason);
        if (message is not null)
        {
            w.WriteString("message"u8, message);
        }

        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Left(MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start("left");
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Pong(MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start("pong");
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    public static OutboundFrame Error(string code, string message, MessageRef messageRef)
    {
        var w = JsonFrameWriter.Start("error");
        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
        WriteRef(w, messageRef);
        return JsonFrameWriter.Finish(w);
    }

    private static void WriteClient(Utf8JsonWriter w, Session member, int? hostId)
    {
        w.WriteStartObject();
        w.WriteNumber("clientId"u8, member.ClientId);
        WriteName(w, member.Name);
        w.WriteBoolean("isHost"u8, member.ClientId == hostId);
        w.WriteEndObject();
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
