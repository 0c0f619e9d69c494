namespace Relay.Infrastructure.Rooms.Redis;

/// <summary>
/// The Lua scripts that change shared room state. Each runs atomically in Redis, so seats, client ids and the
/// host are decided once for the whole cluster; each change also publishes one event on the room's channel
/// (<c>E\n{seq}\n{op}\n...</c>, seq counting the room's events) so every node applies changes in the same order.
/// Room scripts take ARGV[1] = key prefix and ARGV[2] = room id. Keys (all under the prefix):
/// <list type="bullet">
/// <item><c>:r:{id}</c> room hash, <c>:r:{id}:m</c> members (client id → <c>node|joinedAtMs|name</c>),</item>
/// <item><c>:rooms</c> ids by creation order, <c>:empty</c> empty rooms by since-when, <c>:totals</c> counters,</item>
/// <item><c>:n:{node}</c> a node's members (<c>room|client</c>), <c>:nodes</c> heartbeats, <c>:stats</c> relay counts;</item>
/// <item>channel <c>:c:{id}</c> carries the room's events and relays.</item>
/// </list>
/// Optional strings travel with a flag character: <c>0</c> for null, <c>1</c> followed by the text.
/// </summary>
internal static class RedisScripts
{
    private const string RoomPrelude = """
        local P = ARGV[1]
        local id = ARGV[2]
        local rk = P .. ':r:' .. id
        local mk = rk .. ':m'
        local ch = P .. ':c:' .. id
        local function now()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function event(body)
          local seq = redis.call('HINCRBY', rk, 'seq', 1)
          redis.call('PUBLISH', ch, 'E\n' .. seq .. '\n' .. body)
        end
        local function close_room(reason, code, message)
          local members = redis.call('HGETALL', mk)
          for i = 1, #members, 2 do
            local node = string.match(members[i + 1], '^([^|]*)')
            redis.call('SREM', P .. ':n:' .. node, id .. '|' .. members[i])
          end
          local proto = redis.call('HGET', rk, 'proto')
          local count = #members / 2
          if count > 0 then redis.call('HINCRBY', P .. ':totals', 'clients', -count) end
          redis.call('HINCRBY', P .. ':totals', 'proto:' .. proto, -1)
          event('C\n' .. reason .. '\n' .. code .. '\n' .. message)
          redis.call('DEL', rk, mk)
          redis.call('ZREM', P .. ':rooms', id)
          redis.call('ZREM', P .. ':empty', id)
        end
        local function remove_member(cid, reason, kick)
          local m = redis.call('HGET', mk, cid)
          if not m then return false end
          local node = string.match(m, '^([^|]*)')
          redis.call('HDEL', mk, cid)
          redis.call('SREM', P .. ':n:' .. node, id .. '|' .. cid)
          redis.call('HINCRBY', P .. ':totals', 'clients', -1)
          local r = redis.call('HMGET', rk, 'host', 'ohl')
          local changed, newHost, close = '0', 0, false
          if tonumber(r[1]) == tonumber(cid) then
            if r[2] == 'close' then
              close = true
            else
              changed = '1'
              if r[2] == 'pass' then
                for _, k in ipairs(redis.call('HKEYS', mk)) do
                  local n = tonumber(k)
                  if newHost == 0 or n < newHost then newHost = n end
                end
              end
            end
            redis.call('HSET', rk, 'host', newHost)
          end
          event('L\n' .. cid .. '\n' .. reason .. '\n' .. changed .. '\n' .. newHost .. '\n' .. kick)
          if redis.call('HLEN', mk) == 0 then
            local t = now()
            redis.call('HSET', rk, 'empty', t)
            redis.call('ZADD', P .. ':empty', t, id)
          end
          if close then close_room('host_left', '4000', '0') end
          return true
        end

        """;

    /// <summary>ARGV 3 secret digest, 4 host secret digest, 5 protocol, 6 host assignment, 7 max clients, 8 metadata, 9 on-host-left, 10 max rooms. Returns created-at ms, -1 id taken, -2 limit.</summary>
    public const string Create = RoomPrelude + """
        if redis.call('EXISTS', rk) == 1 then return -1 end
        if redis.call('ZCARD', P .. ':rooms') >= tonumber(ARGV[10]) then return -2 end
        local t = now()
        local order = redis.call('INCR', P .. ':roomseq')
        redis.call('ZADD', P .. ':rooms', order, id)
        redis.call('HSET', rk, 'sec', ARGV[3], 'hsec', ARGV[4], 'proto', ARGV[5], 'ha', ARGV[6], 'max', ARGV[7],
          'locked', '0', 'meta', ARGV[8], 'created', t, 'last', 0, 'host', 0, 'seq', 0, 'ohl', ARGV[9], 'empty', t)
        redis.call('ZADD', P .. ':empty', t, id)
        redis.call('HINCRBY', P .. ':totals', 'proto:' .. ARGV[5], 1)
        return t
        """;

    /// <summary>ARGV 3 node, 4 join token, 5 flagged name, 6 presents host secret (1/0). Returns the client id, -1 no room, -2 locked, -3 full.</summary>
    public const string Join = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return -1 end
        local r = redis.call('HMGET', rk, 'max', 'locked', 'last', 'host', 'ha')
        if r[2] == '1' then return -2 end
        if redis.call('HLEN', mk) >= tonumber(r[1]) then return -3 end
        local cid = tonumber(r[3]) + 1
        local t = now()
        redis.call('HSET', rk, 'last', cid, 'empty', '')
        redis.call('HSET', mk, cid, ARGV[3] .. '|' .. t .. '|' .. ARGV[5])
        redis.call('SADD', P .. ':n:' .. ARGV[3], id .. '|' .. cid)
        redis.call('HINCRBY', P .. ':totals', 'clients', 1)
        redis.call('ZREM', P .. ':empty', id)
        local host = '0'
        if ARGV[6] == '1' or (r[5] == 'first' and tonumber(r[4]) == 0) then
          redis.call('HSET', rk, 'host', cid)
          host = '1'
        end
        event('J\n' .. cid .. '\n' .. ARGV[3] .. '\n' .. t .. '\n' .. host .. '\n' .. ARGV[4] .. '\n' .. ARGV[5])
        return cid
        """;

    /// <summary>ARGV 3 client id, 4 reason, 5 flagged kick reason, 6 required host id (0: none). Returns 1, -1 no room, -2 not host, -3 not a member.</summary>
    public const string Leave = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return -1 end
        if tonumber(ARGV[6]) > 0 and tonumber(redis.call('HGET', rk, 'host')) ~= tonumber(ARGV[6]) then return -2 end
        if not remove_member(ARGV[3], ARGV[4], ARGV[5]) then return -3 end
        return 1
        """;

    /// <summary>ARGV 3 requesting host id, 4 new host id. Returns 1, -1 no room, -2 not host, -3 not a member.</summary>
    public const string Transfer = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return -1 end
        local host = tonumber(redis.call('HGET', rk, 'host'))
        if host ~= tonumber(ARGV[3]) then return -2 end
        if host == tonumber(ARGV[4]) then return 1 end
        if redis.call('HEXISTS', mk, ARGV[4]) == 0 then return -3 end
        redis.call('HSET', rk, 'host', ARGV[4])
        event('H\n' .. ARGV[4])
        return 1
        """;

    /// <summary>ARGV 3 reason, 4 close code, 5 flagged message, 6 required host id (0: none), 7 only if empty (1/0). Returns 1, 0 nothing closed, -2 not host.</summary>
    public const string Close = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return 0 end
        if tonumber(ARGV[6]) > 0 and tonumber(redis.call('HGET', rk, 'host')) ~= tonumber(ARGV[6]) then return -2 end
        if ARGV[7] == '1' and redis.call('HLEN', mk) > 0 then return 0 end
        close_room(ARGV[3], ARGV[4], ARGV[5])
        return 1
        """;

    /// <summary>ARGV 3 max clients, 4 locked (1/0), 5 metadata; empty strings leave a field. Returns 1 or 0 (no room).</summary>
    public const string Update = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return 0 end
        if ARGV[3] ~= '' then redis.call('HSET', rk, 'max', ARGV[3]) end
        if ARGV[4] ~= '' then redis.call('HSET', rk, 'locked', ARGV[4]) end
        if ARGV[5] ~= '' then redis.call('HSET', rk, 'meta', ARGV[5]) end
        local r = redis.call('HMGET', rk, 'max', 'locked', 'meta')
        event('U\n' .. r[1] .. '\n' .. r[2] .. '\n' .. r[3])
        return 1
        """;

    /// <summary>The room hash and its members, read at one moment; nil when there is no room.</summary>
    public const string Snapshot = RoomPrelude + """
        if redis.call('EXISTS', rk) == 0 then return nil end
        return { redis.call('HGETALL', rk), redis.call('HGETALL', mk) }
        """;

    /// <summary>ARGV 1 prefix, 2 node, 3 relay stats (<c>messages|bytes</c>). Records the heartbeat; returns Redis time in ms.</summary>
    public const string Heartbeat = """
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', ARGV[1] .. ':nodes', ms, ARGV[2])
        redis.call('HSET', ARGV[1] .. ':stats', ARGV[2], ARGV[3])
        return ms
        """;

    /// <summary>
    /// ARGV 1 prefix, 2 this node, 3 silence (ms) after which a node is dead, 4 grace (ms) after any node's
    /// recovery from an outage. Claims every dead node (only one survivor gets each) and returns its members as
    /// <c>room|client</c>, for the caller to remove. Claims nothing within the grace: after an outage the nodes
    /// reconnect one by one, and one that has not yet is not dead.
    /// </summary>
    public const string ClaimDeadNodes = """
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local out = {}
        local recovered = tonumber(redis.call('GET', ARGV[1] .. ':recovered') or '0')
        if ms - recovered < tonumber(ARGV[4]) then return out end
        for _, node in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. ':nodes', '-inf', ms - tonumber(ARGV[3]))) do
          if node ~= ARGV[2] then
            redis.call('ZREM', ARGV[1] .. ':nodes', node)
            local key = ARGV[1] .. ':n:' .. node
            for _, m in ipairs(redis.call('SMEMBERS', key)) do table.insert(out, m) end
            redis.call('DEL', key)
          end
        end
        return out
        """;

    /// <summary>ARGV 1 prefix. Records (in Redis time) that a node has just come back from an outage.</summary>
    public const string Recovered = """
        local t = redis.call('TIME')
        redis.call('SET', ARGV[1] .. ':recovered', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
        return 1
        """;

    /// <summary>ARGV 1 prefix, 2 empty-room TTL in ms. The ids of rooms empty for longer (at most 100).</summary>
    public const string ExpiredRooms = """
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        return redis.call('ZRANGEBYSCORE', ARGV[1] .. ':empty', '-inf', ms - tonumber(ARGV[2]), 'LIMIT', 0, 100)
        """;
}
