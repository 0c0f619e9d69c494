using StackExchange.Redis;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// The names of every key and channel of a cluster, all under one prefix (so that several clusters can share a
/// Redis). Per room: the room hash <c>:r:{id}</c>, its members <c>:r:{id}:m</c>, its history stream <c>:r:{id}:h</c> and
/// its channel <c>:c:{id}</c>. Shared: <c>:rooms</c> (ids by creation order), <c>:empty</c> (empty rooms by since-when),
/// <c>:away</c> (away members by window end), <c>:totals</c>, <c>:stats</c> (relay counts of the whole cluster),
/// <c>:nodes</c> (heartbeats), <c>:n:{node}</c> (a node's members), <c>:claim:{node}</c> (who cleans up a dead node).
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Room(string id) => $"{Prefix}:r:{id}";

    public RedisKey Members(string id) => $"{Prefix}:r:{id}:m";

    public RedisKey History(string id) => $"{Prefix}:r:{id}:h";

    public RedisChannel Channel(string id) => RedisChannel.Literal($"{Prefix}:c:{id}");

    public RedisKey Rooms => $"{Prefix}:rooms";

    public RedisKey RoomOrder => $"{Prefix}:roomseq";

    public RedisKey Empty => $"{Prefix}:empty";

    public RedisKey Away => $"{Prefix}:away";

    public RedisKey Totals => $"{Prefix}:totals";

    public RedisKey Stats => $"{Prefix}:stats";

    public RedisKey Nodes => $"{Prefix}:nodes";

    public RedisKey Recovered => $"{Prefix}:recovered";

    public RedisKey NodeMembers(string node) => $"{Prefix}:n:{node}";

    public RedisKey Claim(string node) => $"{Prefix}:claim:{node}";

    /// <summary>A member as the node, away and claim sets list it: <c>room|client</c>.</summary>
    public static string MemberRef(string roomId, int clientId) => roomId + "|" + clientId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Splits <see cref="MemberRef"/>; false for anything else.</summary>
    public static bool TryParseMemberRef(string value, out string roomId, out int clientId)
    {
        var bar = value.LastIndexOf('|');
        roomId = bar > 0 ? value[..bar] : string.Empty;
        clientId = 0;
        return bar > 0 && int.TryParse(value.AsSpan(bar + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out clientId);
    }
}
