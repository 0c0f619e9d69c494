using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Relay.Application.Abstractions;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>What a room's channel (and its history stream) carries, decoded.</summary>
internal enum ChannelMessageKind : byte
{
    None,

    /// <summary>A committed membership event, numbered in the room's sequence.</summary>
    Event,

    /// <summary>A relay numbered in the room's sequence (a sequenced room).</summary>
    SequencedRelay,

    /// <summary>A relay of an unsequenced room, numbered per sending node (so a receiver can count what it missed).</summary>
    Relay,
}

/// <summary>One decoded channel message; <see cref="Relay"/>'s payload is a slice of the message bytes.</summary>
internal readonly record struct ChannelMessage(ChannelMessageKind Kind, long Seq, RoomEvent? Event, RelayMessage Relay, string? Origin, long Counter);

/// <summary>
/// The typed, versioned wire format of a room's channel and history, shared with the Lua scripts:
/// <list type="bullet">
/// <item>an event: <c>E1 {seq}\n{json}</c>, the JSON naming every field (<see cref="EncodeEvent"/>);</item>
/// <item>a sequenced relay: <c>S1 {seq} {kind} {sender} {audience}\n{payload}</c> (written by the relay script);</item>
/// <item>an unsequenced relay: <c>R1 {origin} {counter} {kind} {sender} {audience}\n{payload}</c>.</item>
/// </list>
/// Kind is <c>t</c> (text) or <c>b</c> (binary); an audience is <c>a{except}</c> (all but one; 0: all), <c>o{id}</c>
/// (one), <c>l{id,id,...}</c> (listed), <c>n</c> (nobody) or, given to the relay script only, <c>h</c> (the host at the
/// relay's place in the sequence). The digit after the letter is the format's version: a node refuses a version it
/// does not know (and reloads the room) instead of misreading it.
/// </summary>
internal static class RoomEventCodec
{
    public const string EventPrefix = "E1 ";
    public const string SequencedPrefix = "S1 ";
    public const string RelayPrefix = "R1 ";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    // ---- Events ----------------------------------------------------------------------------------------

    /// <summary>The JSON of <paramref name="e"/> (the script prefixes <c>E1 {seq}\n</c>).</summary>
    public static byte[] EncodeEvent(RoomEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            switch (e)
            {
                case MemberJoined j:
                    w.WriteString("type", "joined");
                    w.WriteNumber("clientId", j.ClientId);
                    WriteOptional(w, "name", j.Name);
                    WriteOptional(w, "userId", j.UserId);
                    w.WriteString("node", j.NodeId);
                    w.WriteNumber("joinedAt", j.JoinedAt.ToUnixTimeMilliseconds());
                    w.WriteBoolean("becomesHost", j.BecomesHost);
                    w.WriteBoolean("resumable", j.Resumable);
                    WriteOptional(w, "token", j.ResumeTokenDigest is null ? null : Convert.ToHexString(j.ResumeTokenDigest));
                    w.WriteString("joinToken", j.JoinToken);
                    break;
                case MemberLeft l:
                    w.WriteString("type", "left");
                    w.WriteNumber("clientId", l.ClientId);
                    w.WriteString("reason", l.Reason);
                    WriteOptional(w, "kickReason", l.KickReason);
                    w.WriteString("succession", SuccessionName(l.Succession.Kind));
                    w.WriteNumber("nextHost", l.Succession.NextHostId);
                    break;
                case MemberAway a:
                    w.WriteString("type", "away");
                    w.WriteNumber("clientId", a.ClientId);
                    w.WriteNumber("until", a.Until.ToUnixTimeMilliseconds());
                    break;
                case MemberBack b:
                    w.WriteString("type", "back");
                    w.WriteNumber("clientId", b.ClientId);
                    w.WriteString("node", b.NodeId);
                    w.WriteString("token", Convert.ToHexString(b.ResumeTokenDigest));
                    w.WriteBoolean("wasAway", b.WasAway);
                    w.WriteString("joinToken", b.JoinToken);
                    break;
                case HostTransferred h:
                    w.WriteString("type", "host");
                    w.WriteNumber("hostId", h.HostId);
                    break;
                case RoomUpdated u:
                    w.WriteString("type", "updated");
                    w.WriteNumber("maxClients", u.MaxClients);
                    w.WriteBoolean("locked", u.Locked);
                    w.WritePropertyName("metadata");
                    w.WriteRawValue(u.Metadata.Utf8, skipInputValidation: true);
                    w.WriteNumber("resumeWindowSeconds", u.ResumeWindowSeconds);
                    break;
                case RoomClosed c:
                    w.WriteString("type", "closed");
                    w.WriteString("reason", c.Reason);
                    w.WriteNumber("closeCode", c.CloseCode);
                    WriteOptional(w, "message", c.Message);
                    break;
                default:
                    throw new ArgumentException($"No encoding for {e.GetType().Name}.", nameof(e));
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an event's JSON; null for a type this version does not know.</summary>
    public static RoomEvent? DecodeEvent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var e = document.RootElement;
        return e.GetProperty("type").GetString() switch
        {
            "joined" => new MemberJoined(
                e.GetProperty("clientId").GetInt32(),
                OptionalString(e, "name"),
                OptionalString(e, "userId"),
                e.GetProperty("node").GetString()!,
                DateTimeOffset.FromUnixTimeMilliseconds(e.GetProperty("joinedAt").GetInt64()),
                e.GetProperty("becomesHost").GetBoolean(),
                e.GetProperty("resumable").GetBoolean(),
                OptionalString(e, "token") is { } token ? Convert.FromHexString(token) : null,
                e.GetProperty("joinToken").GetString()!),
            "left" => new MemberLeft(
                e.GetProperty("clientId").GetInt32(),
                e.GetProperty("reason").GetString()!,
                OptionalString(e, "kickReason"),
                new HostSuccession(SuccessionOf(e.GetProperty("succession").GetString()), e.GetProperty("nextHost").GetInt32())),
            "away" => new MemberAway(
                e.GetProperty("clientId").GetInt32(),
                DateTimeOffset.FromUnixTimeMilliseconds(e.GetProperty("until").GetInt64())),
            "back" => new MemberBack(
                e.GetProperty("clientId").GetInt32(),
                e.GetProperty("node").GetString()!,
                Convert.FromHexString(e.GetProperty("token").GetString()!),
                e.GetProperty("wasAway").GetBoolean(),
                e.GetProperty("joinToken").GetString()!),
            "host" => new HostTransferred(e.GetProperty("hostId").GetInt32()),
            "updated" => new RoomUpdated(
                e.GetProperty("maxClients").GetInt32(),
                e.GetProperty("locked").GetBoolean(),
                RoomMetadata.FromJson(e.GetProperty("metadata").GetRawText()),
                e.GetProperty("resumeWindowSeconds").GetInt32()),
            "closed" => new RoomClosed(
                e.GetProperty("reason").GetString()!,
                (ushort)e.GetProperty("closeCode").GetInt32(),
                OptionalString(e, "message")),
            _ => null,
        };
    }

    // ---- Relays ----------------------------------------------------------------------------------------

    /// <summary><c>R1 {origin} {counter} {kind} {sender} {audience}\n{payload}</c>.</summary>
    public static byte[] EncodeRelay(string origin, long counter, in RelayMessage relay)
    {
        var header = string.Create(CultureInfo.InvariantCulture, $"{RelayPrefix}{origin} {counter} {KindChar(relay.Kind)} {relay.SenderId} {AudienceSpec(relay.Audience, relay.ToHost)}\n");
        var bytes = new byte[Encoding.ASCII.GetByteCount(header) + relay.Payload.Length];
        var written = Encoding.ASCII.GetBytes(header, bytes);
        relay.Payload.Span.CopyTo(bytes.AsSpan(written));
        return bytes;
    }

    public static char KindChar(FrameKind kind) => kind == FrameKind.Binary ? 'b' : 't';

    /// <summary>The audience as the channel and the scripts write it (<c>h</c>: resolved to the host by the relay script).</summary>
    public static string AudienceSpec(Audience audience, bool toHost) => toHost ? "h" : audience.Kind switch
    {
        AudienceKind.All => "a" + audience.Except.ToString(CultureInfo.InvariantCulture),
        AudienceKind.One => "o" + audience.Only.ToString(CultureInfo.InvariantCulture),
        AudienceKind.List => "l" + string.Join(',', audience.List!),
        _ => "n",
    };

    // ---- Decoding any channel message --------------------------------------------------------------------

    /// <summary>Decodes a channel or history message; <see cref="ChannelMessageKind.None"/> for anything it does not know.</summary>
    public static ChannelMessage Decode(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        var newline = span.IndexOf((byte)'\n');
        if (newline < 3 || span[2] != (byte)' ' || span[1] != (byte)'1')
        {
            return default;
        }

        var header = span[3..newline];
        var body = message[(newline + 1)..];
        switch (span[0])
        {
            case (byte)'E':
                return Utf8Parser.TryParse(header, out long seq, out var used) && used == header.Length && DecodeEvent(body.Span) is { } e
                    ? new ChannelMessage(ChannelMessageKind.Event, seq, e, default, null, 0)
                    : default;
            case (byte)'S':
                return Next(ref header, out var sSeq) && TryRelay(header, body, out var sequenced)
                    ? new ChannelMessage(ChannelMessageKind.SequencedRelay, sSeq, null, sequenced, null, 0)
                    : default;
            case (byte)'R':
                var space = header.IndexOf((byte)' ');
                if (space <= 0)
                {
                    return default;
                }

                var origin = Encoding.UTF8.GetString(header[..space]);
                header = header[(space + 1)..];
                return Next(ref header, out var counter) && TryRelay(header, body, out var relay)
                    ? new ChannelMessage(ChannelMessageKind.Relay, 0, null, relay, origin, counter)
                    : default;
            default:
                return default;
        }
    }

    /// <summary>Reads <c>{kind} {sender} {audience}</c>.</summary>
    private static bool TryRelay(ReadOnlySpan<byte> header, ReadOnlyMemory<byte> payload, out RelayMessage relay)
    {
        relay = default;
        if (header.Length < 2 || header[1] != (byte)' ' || header[0] is not ((byte)'t' or (byte)'b'))
        {
            return false;
        }

        var kind = header[0] == (byte)'b' ? FrameKind.Binary : FrameKind.Text;
        header = header[2..];
        if (!Next(ref header, out var sender) || header.IsEmpty)
        {
            return false;
        }

        if (!TryAudience(header, out var audience))
        {
            return false;
        }

        relay = new RelayMessage(kind, (int)sender, payload, audience);
        return true;
    }

    private static bool TryAudience(ReadOnlySpan<byte> spec, out Audience audience)
    {
        audience = Audience.Nobody;
        var rest = spec[1..];
        switch (spec[0])
        {
            case (byte)'n':
                return true;
            case (byte)'a' when Utf8Parser.TryParse(rest, out int except, out var used) && used == rest.Length:
                audience = Audience.AllBut(except);
                return true;
            case (byte)'o' when Utf8Parser.TryParse(rest, out int only, out var used) && used == rest.Length:
                audience = Audience.Single(only);
                return true;
            case (byte)'l':
                var ids = new List<int>();
                foreach (var range in rest.Split((byte)','))
                {
                    if (!Utf8Parser.TryParse(rest[range], out int id, out var n) || n != range.End.Value - range.Start.Value)
                    {
                        return false;
                    }

                    ids.Add(id);
                }

                audience = Audience.Listed(ids);
                return ids.Count > 0;
            default:
                return false;
        }
    }

    /// <summary>Reads a number followed by a space and moves past both.</summary>
    private static bool Next(ref ReadOnlySpan<byte> header, out long value)
    {
        var space = header.IndexOf((byte)' ');
        if (space <= 0 || !Utf8Parser.TryParse(header[..space], out value, out var used) || used != space)
        {
            value = 0;
            return false;
        }

        header = header[(space + 1)..];
        return true;
    }

    private static string SuccessionName(SuccessionKind kind) => kind switch
    {
        SuccessionKind.PassTo => "pass",
        SuccessionKind.NoHost => "none",
        SuccessionKind.CloseRoom => "close",
        _ => "unchanged",
    };

    private static SuccessionKind SuccessionOf(string? name) => name switch
    {
        "pass" => SuccessionKind.PassTo,
        "none" => SuccessionKind.NoHost,
        "close" => SuccessionKind.CloseRoom,
        _ => SuccessionKind.Unchanged,
    };

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
