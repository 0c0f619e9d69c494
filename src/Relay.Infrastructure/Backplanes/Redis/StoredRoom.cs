using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Relay.Application.Abstractions;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// A room as Redis stores it: the room hash (<c>sec</c>, <c>hsec</c> digests, <c>proto</c>, <c>ha</c>, <c>max</c>,
/// <c>locked</c>, <c>meta</c>, <c>created</c>, <c>last</c> client id, <c>host</c>, <c>ver</c> membership version,
/// <c>seq</c>, <c>empty</c> since, <c>rw</c> resume window, <c>epoch</c>, <c>hp</c>/<c>hb</c> history dropped-through and
/// bytes, <c>rel</c> relays reported by the nodes' heartbeats, absent until the first) and one JSON record per member (<see cref="EncodeMember"/>). Reads it back as a <see cref="RoomSnapshot"/>.
/// </summary>
internal static class StoredRoom
{
    /// <summary>The hash fields of a new room.</summary>
    public static HashEntry[] Fields(Room room, long createdAtMs)
    {
        var (secret, hostSecret) = room.Secrets;
        return
        [
            new("sec", Convert.ToHexString(secret.DigestBytes)),
            new("hsec", Convert.ToHexString(hostSecret.DigestBytes)),
            new("proto", room.Protocol.Name),
            new("ha", room.HostAssignment == HostAssignment.Secret ? "secret" : "first"),
            new("max", room.MaxClients),
            new("locked", room.Locked ? 1 : 0),
            new("meta", room.Metadata.ToString()),
            new("created", createdAtMs),
            new("last", 0),
            new("host", 0),
            new("ver", 0),
            new("seq", 0),
            new("empty", createdAtMs),
            new("rw", room.ResumeWindowSeconds),
            new("epoch", room.Epoch),
            new("hp", 0),
            new("hb", 0),
        ];
    }

    /// <summary>
    /// A member's record: the node holding its connection (empty while away), its join, its current resume token digest,
    /// its join seq (<paramref name="joinSeq"/> null writes the script's <c>{seq}</c> placeholder) and the end of its away
    /// window.
    /// </summary>
    public static string EncodeMember(MemberJoined joined, string node, byte[]? tokenDigest, long? joinSeq, DateTimeOffset? awayUntil)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("node", node);
            w.WriteNumber("joinedAt", joined.JoinedAt.ToUnixTimeMilliseconds());
            Optional(w, "name", joined.Name);
            Optional(w, "userId", joined.UserId);
            w.WriteBoolean("resumable", joined.Resumable);
            Optional(w, "token", tokenDigest is null ? null : Convert.ToHexString(tokenDigest));
            w.WriteString("joinToken", joined.JoinToken);
            w.WritePropertyName("joinSeq");
            if (joinSeq is { } seq)
            {
                w.WriteNumberValue(seq);
            }
            else
            {
                w.WriteRawValue("\"{seq}\"", skipInputValidation: true);
            }

            if (awayUntil is { } until)
            {
                w.WriteNumber("awayUntil", until.ToUnixTimeMilliseconds());
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A member record read back.</summary>
    public static MemberRecord DecodeMember(int clientId, string json)
    {
        using var document = JsonDocument.Parse(json);
        var e = document.RootElement;
        var node = e.GetProperty("node").GetString();
        var token = e.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? Convert.FromHexString(t.GetString()!) : null;
        var joinSeq = e.GetProperty("joinSeq") is { ValueKind: JsonValueKind.Number } js ? js.GetInt64() : 0;
        DateTimeOffset? awayUntil = e.TryGetProperty("awayUntil", out var a) && a.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds(a.GetInt64())
            : null;
        var joined = new MemberJoined(
            clientId,
            String(e, "name"),
            String(e, "userId"),
            node ?? string.Empty,
            DateTimeOffset.FromUnixTimeMilliseconds(e.GetProperty("joinedAt").GetInt64()),
            false,
            e.GetProperty("resumable").GetBoolean(),
            token,
            e.GetProperty("joinToken").GetString() ?? string.Empty);
        return new MemberRecord(joined, joinSeq, string.IsNullOrEmpty(node) ? null : node, awayUntil);
    }

    /// <summary>The snapshot of room <paramref name="id"/> from its hash and member hash (read together, by one script).</summary>
    public static RoomSnapshot Read(string id, RedisResult[] fields, RedisResult[] members, ProtocolRegistry protocols)
    {
        var f = Pairs(fields);
        var records = new List<MemberRecord>(members.Length / 2);
        for (var i = 0; i + 1 < members.Length; i += 2)
        {
            records.Add(DecodeMember(int.Parse(members[i].ToString(), CultureInfo.InvariantCulture), members[i + 1].ToString()));
        }

        records.Sort((a, b) => a.Joined.ClientId.CompareTo(b.Joined.ClientId));
        var protocol = protocols.TryGet(f["proto"], out var p) ? p : protocols.Get(MeshProtocol.ProtocolName);
        var settings = new RoomSettings(
            id,
            SecretHash.FromDigest(Convert.FromHexString(f["sec"])),
            SecretHash.FromDigest(Convert.FromHexString(f["hsec"])),
            protocol,
            f["ha"] == "secret" ? HostAssignment.Secret : HostAssignment.First,
            Int(f, "max"),
            RoomMetadata.FromJson(f["meta"]),
            Int(f, "rw"),
            f.GetValueOrDefault("epoch") ?? string.Empty);
        var empty = f.GetValueOrDefault("empty");
        return new RoomSnapshot(
            settings,
            DateTimeOffset.FromUnixTimeMilliseconds(Long(f, "created")),
            f["locked"] == "1",
            Int(f, "host") is var host and > 0 ? host : null,
            Int(f, "last"),
            Long(f, "ver"),
            Long(f, "seq"),
            string.IsNullOrEmpty(empty) ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(empty, CultureInfo.InvariantCulture)),
            records,
            Long(f, "rel"));
    }

    private static Dictionary<string, string> Pairs(RedisResult[] flat)
    {
        var pairs = new Dictionary<string, string>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            pairs[flat[i].ToString()] = flat[i + 1].ToString();
        }

        return pairs;
    }

    private static int Int(Dictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && v.Length > 0 ? int.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;

    private static long Long(Dictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && v.Length > 0 ? long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
