namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>
/// The Lua scripts. None of them decides anything about membership: a commit checks that the decision was made
/// against the stored version (so two nodes never both take the last seat), that its deadline has not passed (so a
/// change never succeeds after its caller was told `unavailable`), then runs the writes it was given, numbers the
/// event, keeps it in the room's history and publishes it. Results are named in <see cref="RoomStore"/>.
/// </summary>
internal static class RedisScripts
{
    private const string Common = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function fill(v, seq, now)
          local i = string.find(v, '"{seq}"', 1, true)
          if i then v = string.sub(v, 1, i - 1) .. seq .. string.sub(v, i + 7) end
          i = string.find(v, '"{now}"', 1, true)
          if i then v = string.sub(v, 1, i - 1) .. now .. string.sub(v, i + 7) end
          return v
        end
        local function hook(k, a, b, seq, now)
          local off, max = string.match(a, '^(%d+):(%d+)$')
          if redis.call('XLEN', k) >= tonumber(max) then redis.call('INCR', k .. ':d') return end
          redis.call('XADD', k, '*', 's', seq + tonumber(off), 't', now, 'v', b)
        end
        local function run(first, seq, now)
          for i = first, #ARGV, 4 do
            local op, k, a, b = ARGV[i], ARGV[i + 1], fill(ARGV[i + 2], seq, now), fill(ARGV[i + 3], seq, now)
            if op == 'hset' then redis.call('HSET', k, a, b)
            elseif op == 'hdel' then redis.call('HDEL', k, a)
            elseif op == 'sadd' then redis.call('SADD', k, a)
            elseif op == 'srem' then redis.call('SREM', k, a)
            elseif op == 'zadd' then redis.call('ZADD', k, a, b)
            elseif op == 'zrem' then redis.call('ZREM', k, a)
            elseif op == 'hincrby' then redis.call('HINCRBY', k, a, b)
            elseif op == 'del' then redis.call('DEL', k)
            elseif op == 'hook' then hook(k, ARGV[i + 2], ARGV[i + 3], seq, now)
            end
          end
        end
        local function record(hk, rk, seq, msg, maxn, maxb, window, now)
          redis.call('XADD', hk, seq .. '-0', 'm', msg, 't', now)
          local bytes = redis.call('HINCRBY', rk, 'hb', #msg)
          local n = redis.call('XLEN', hk)
          while n > 0 do
            local first = redis.call('XRANGE', hk, '-', '+', 'COUNT', 1)[1]
            local f = first[2]
            if n <= maxn and bytes <= maxb and tonumber(f[4]) >= now - window then break end
            redis.call('XDEL', hk, first[1])
            bytes = redis.call('HINCRBY', rk, 'hb', -#f[2])
            redis.call('HSET', rk, 'hp', string.match(first[1], '^(%d+)'))
            n = n - 1
          end
        end
        -- A commit's checks, ARGV as Commit's 1 to 4: nil when it may go ahead, else the refusal to return.
        local function refused(rk, now)
          local deadline = tonumber(ARGV[4])
          if deadline > 0 and now > deadline then return {-3} end
          if redis.call('EXISTS', rk) == 0 then return {-2} end
          local ver = tonumber(redis.call('HGET', rk, 'ver'))
          if ver ~= tonumber(ARGV[3]) then return {-4, ver} end
          return nil
        end
        -- Numbers the event (ARGV as Commit's 5 to 10), keeps it in the history, runs the writes from ARGV[first] and
        -- publishes it on ARGV[2]; returns its first seq.
        local function commit_event(rk, first, now)
          local width = tonumber(ARGV[5])
          redis.call('HINCRBY', rk, 'ver', 1)
          local seq = redis.call('HINCRBY', rk, 'seq', width) - width + 1
          local msg = 'E1 ' .. seq .. '\n' .. ARGV[6]
          if ARGV[7] ~= '' then record(ARGV[7], rk, seq, msg, tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), now) end
          run(first, seq, now)
          redis.call('PUBLISH', ARGV[2], msg)
          return seq
        end

        """;

    /// <summary>
    /// ARGV 1 room key, 2 rooms zset, 3 room order counter, 4 empty zset, 5 totals, 6 room id, 7 max rooms, 8 protocol,
    /// 9-11 the `room.created` webhook (stream key, '' for none; bound; value: see <see cref="WebhookStreams"/>), then the
    /// room hash as field/value pairs. Returns 1, <see cref="RoomStore.IdTaken"/> or <see cref="RoomStore.LimitReached"/>.
    /// </summary>
    public const string Create = Common + """
        if redis.call('EXISTS', ARGV[1]) == 1 then return -1 end
        if redis.call('ZCARD', ARGV[2]) >= tonumber(ARGV[7]) then return -2 end
        for i = 12, #ARGV, 2 do redis.call('HSET', ARGV[1], ARGV[i], ARGV[i + 1]) end
        if ARGV[9] ~= '' then hook(ARGV[9], ARGV[10], ARGV[11], 0, now_ms()) end
        redis.call('ZADD', ARGV[2], redis.call('INCR', ARGV[3]), ARGV[6])
        redis.call('ZADD', ARGV[4], now_ms(), ARGV[6])
        redis.call('HINCRBY', ARGV[5], 'proto:' .. ARGV[8], 1)
        return 1
        """;

    /// <summary>
    /// ARGV 1 room key, 2 members key, 3 stats hash, 4 the reading node's report field (<c>r:&lt;node&gt;</c>). The room
    /// hash, its members and the id of the reading node's last relay report added (see <see cref="Heartbeat"/>), read
    /// at one moment; nil when there is no room.
    /// </summary>
    public const string Snapshot = """
        if redis.call('EXISTS', ARGV[1]) == 0 then return nil end
        return { redis.call('HGETALL', ARGV[1]), redis.call('HGETALL', ARGV[2]), redis.call('HGET', ARGV[3], ARGV[4]) or '' }
        """;

    /// <summary>
    /// ARGV 1 room key, 2 channel, 3 expected version, 4 deadline ms (0: none), 5 width (sequence numbers the event
    /// takes), 6 event JSON, 7 history key ('' when the room keeps none), 8 history max entries, 9 history max bytes,
    /// 10 resume window ms, then the writes, four values each. Returns {1, seq}, {-2} no room, {-3} deadline passed,
    /// {-4, version} out of date.
    /// </summary>
    public const string Commit = Common + """
        local rk = ARGV[1]
        local now = now_ms()
        local no = refused(rk, now)
        if no then return no end
        return {1, commit_event(rk, 11, now)}
        """;

    /// <summary>
    /// A member's return with what it missed: ARGV as <see cref="Commit"/> from 1 to 10, then 11 the seq after which it
    /// missed events, 12 the seq it presented, then the writes. Returns {1, seq, message...} (the history after ARGV 11,
    /// before the return), {-2}, {-3}, {-4, version}, {-5} seq above the room's latest, {-6} history incomplete.
    /// </summary>
    public const string CommitResume = Common + """
        local rk = ARGV[1]
        local now = now_ms()
        local no = refused(rk, now)
        if no then return no end
        local cur = tonumber(redis.call('HGET', rk, 'seq'))
        if tonumber(ARGV[12]) > cur then return {-5} end
        local after = tonumber(ARGV[11])
        if after < tonumber(redis.call('HGET', rk, 'hp') or '0') then return {-6} end
        local out = {1, 0}
        if ARGV[7] ~= '' and after < cur then
          for _, e in ipairs(redis.call('XRANGE', ARGV[7], (after + 1) .. '-0', '+')) do table.insert(out, e[2][2]) end
        end
        out[2] = commit_event(rk, 13, now)
        return out
        """;

    /// <summary>
    /// A relay in a sequenced room: ARGV 1 room key, 2 members key, 3 channel, 4 history key, 5 kind, 6 sender,
    /// 7 audience (<c>h</c>: the host now), 8 payload, 9 history max entries, 10 max bytes, 11 window ms, 12 deadline ms.
    /// Numbers it, keeps it and publishes it; nothing when the room or its sender is gone. Returns the seq, 0, or -3 when
    /// the deadline had passed.
    /// </summary>
    public const string Sequence = Common + """
        local rk = ARGV[1]
        if now_ms() > tonumber(ARGV[12]) then return -3 end
        if redis.call('EXISTS', rk) == 0 then return 0 end
        if ARGV[6] ~= '0' and redis.call('HEXISTS', ARGV[2], ARGV[6]) == 0 then return 0 end
        local seq = redis.call('HINCRBY', rk, 'seq', 1)
        local aud = ARGV[7]
        if aud == 'h' then
          local h = redis.call('HGET', rk, 'host')
          if not h or h == '0' then aud = 'n' else aud = 'o' .. h end
        end
        local msg = 'S1 ' .. seq .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. aud .. '\n' .. ARGV[8]
        record(ARGV[4], rk, seq, msg, tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), now_ms())
        redis.call('PUBLISH', ARGV[3], msg)
        return seq
        """;

    /// <summary>
    /// ARGV 1 room key, 2 history key, 3 seq after which to read. Returns {1, latest seq, message...}, {-1} history
    /// incomplete, or nil when there is no room.
    /// </summary>
    public const string ReadHistory = """
        if redis.call('EXISTS', ARGV[1]) == 0 then return nil end
        local after = tonumber(ARGV[3])
        if after < tonumber(redis.call('HGET', ARGV[1], 'hp') or '0') then return {-1} end
        local out = {1, tonumber(redis.call('HGET', ARGV[1], 'seq'))}
        for _, e in ipairs(redis.call('XRANGE', ARGV[2], (after + 1) .. '-0', '+')) do table.insert(out, e[2][2]) end
        return out
        """;

    /// <summary>
    /// ARGV 1 nodes zset, 2 stats hash, 3 this node, 4 messages this node has relayed since it started, 5 their bytes,
    /// 6 the id of its relay report per room ('' for none), then per room: its hash key, its epoch, the relays to add.
    /// Records the heartbeat and adds what the node relayed since its last report to the cluster's counts. The node's
    /// own cumulative counts are kept beside them (fields <c>m:&lt;node&gt;</c>, <c>b:&lt;node&gt;</c>), so a report
    /// is idempotent (a retried or timed-out heartbeat never counts twice) and a reader can tell the node's share from
    /// the others' in one atomic read. A count lower than the one kept is a new life of the node under the same id.
    /// The report per room is added to each room's <c>rel</c> only when the room hash is still there with that epoch
    /// (a deleted room is not made again), and its id is kept as <c>r:&lt;node&gt;</c>: a report sent again with the
    /// same id (its first answer was lost) is not added twice. Returns the Redis time (ms).
    /// </summary>
    public const string Heartbeat = Common + """
        local t = now_ms()
        redis.call('ZADD', ARGV[1], t, ARGV[3])
        local function report(total, field, count)
          local n = tonumber(count)
          local was = tonumber(redis.call('HGET', ARGV[2], field) or '0')
          local added = n - was
          if added < 0 then added = n end
          redis.call('HINCRBY', ARGV[2], total, added)
          redis.call('HSET', ARGV[2], field, n)
        end
        report('messages', 'm:' .. ARGV[3], ARGV[4])
        report('bytes', 'b:' .. ARGV[3], ARGV[5])
        if ARGV[6] ~= '' and redis.call('HGET', ARGV[2], 'r:' .. ARGV[3]) ~= ARGV[6] then
          for i = 7, #ARGV, 3 do
            local k, e = ARGV[i], ARGV[i + 1]
            local have = redis.call('HGET', k, 'epoch')
            if have == e or (not have and e == '' and redis.call('EXISTS', k) == 1) then
              redis.call('HINCRBY', k, 'rel', ARGV[i + 2])
            end
          end
          redis.call('HSET', ARGV[2], 'r:' .. ARGV[3], ARGV[6])
        end
        return t
        """;

    /// <summary>ARGV 1 nodes zset, 2 stats hash, 3 the node. A node leaves: it is no longer listed, and its share of the counts is no longer told apart.</summary>
    public const string NodeLeft = """
        redis.call('ZREM', ARGV[1], ARGV[3])
        redis.call('HDEL', ARGV[2], 'm:' .. ARGV[3], 'b:' .. ARGV[3], 'r:' .. ARGV[3])
        return 1
        """;

    /// <summary>
    /// ARGV 1 nodes zset, 2 recovered key, 3 claim key prefix, 4 this node, 5 silence (ms) after which a node is dead,
    /// 6 grace (ms) after any node's recovery from an outage, 7 lease (ms). Leases every dead node nobody is cleaning
    /// up to this node and returns them; the caller takes their members out one by one (each commit removes one from
    /// the node's set), so a claimer that dies half-way leaves the rest to the next one when its lease ends.
    /// </summary>
    public const string ClaimDeadNodes = Common + """
        local ms = now_ms()
        local out = {}
        local recovered = tonumber(redis.call('GET', ARGV[2]) or '0')
        if ms - recovered < tonumber(ARGV[6]) then return out end
        for _, node in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', ms - tonumber(ARGV[5]))) do
          if node ~= ARGV[4] then
            local claim = redis.call('GET', ARGV[3] .. node)
            if claim == ARGV[4] or redis.call('SET', ARGV[3] .. node, ARGV[4], 'NX', 'PX', tonumber(ARGV[7])) then
              redis.call('PEXPIRE', ARGV[3] .. node, tonumber(ARGV[7]))
              table.insert(out, node)
            end
          end
        end
        return out
        """;

    /// <summary>ARGV 1 nodes zset, 2 the node's member set, 3 its claim key, 4 the node, 5 stats hash. Forgets a dead node once it has no members left (its relays stay counted); returns 1 then.</summary>
    public const string NodeCleared = """
        if redis.call('SCARD', ARGV[2]) > 0 then return 0 end
        redis.call('ZREM', ARGV[1], ARGV[4])
        redis.call('DEL', ARGV[3])
        redis.call('HDEL', ARGV[5], 'm:' .. ARGV[4], 'b:' .. ARGV[4], 'r:' .. ARGV[4])
        return 1
        """;

    /// <summary>ARGV 1 recovered key. Records (in Redis time) that a node has just come back from an outage.</summary>
    public const string Recovered = Common + """
        redis.call('SET', ARGV[1], now_ms())
        return 1
        """;

    /// <summary>
    /// The webhook partitions' leases: ARGV 1 nodes zset, 2 silence (ms) after which a node is dead, 3 lease key prefix,
    /// 4 this node, 5 partitions, 6 lease (ms). Renews every lease this node holds, then takes free ones until it holds
    /// its share (the partitions over the live nodes, rounded up). Returns {share, held partition...}.
    /// </summary>
    public const string WebhookLeases = Common + """
        local now = now_ms()
        local alive = redis.call('ZCOUNT', ARGV[1], now - tonumber(ARGV[2]), '+inf')
        if alive < 1 then alive = 1 end
        local parts = tonumber(ARGV[5])
        local share = math.ceil(parts / alive)
        local out = {share}
        for p = 0, parts - 1 do
          local k = ARGV[3] .. p
          if redis.call('GET', k) == ARGV[4] then
            redis.call('PEXPIRE', k, tonumber(ARGV[6]))
            table.insert(out, p)
          end
        end
        for p = 0, parts - 1 do
          if #out - 1 >= share then break end
          if redis.call('SET', ARGV[3] .. p, ARGV[4], 'NX', 'PX', tonumber(ARGV[6])) then table.insert(out, p) end
        end
        return out
        """;

    /// <summary>ARGV 1 a lease key, 2 this node. Gives the lease up if this node still holds it.</summary>
    public const string WebhookRelease = """
        if redis.call('GET', ARGV[1]) == ARGV[2] then redis.call('DEL', ARGV[1]) return 1 end
        return 0
        """;

    /// <summary>
    /// Reads the webhook partitions this node holds: ARGV 1 lease key prefix, 2 this node, 3 entries per partition, then
    /// pairs of stream key and the id after which to read ('-': from the start). A partition whose lease this node no
    /// longer holds is skipped. Returns per partition {stream, drops since the last read, {id, fields}...}.
    /// </summary>
    public const string WebhookRead = """
        local out = {}
        for i = 4, #ARGV, 2 do
          local k, after = ARGV[i], ARGV[i + 1]
          local p = string.match(k, ':(%d+)$')
          if redis.call('GET', ARGV[1] .. p) == ARGV[2] then
            local start = after == '-' and '-' or ('(' .. after)
            local drops = tonumber(redis.call('GET', k .. ':d') or '0')
            if drops > 0 then redis.call('DECRBY', k .. ':d', drops) end
            table.insert(out, {k, drops, redis.call('XRANGE', k, start, '+', 'COUNT', tonumber(ARGV[3]))})
          end
        end
        return out
        """;

    /// <summary>ARGV 1 a zset scored by ms, 2 an offset (ms, subtracted from now). Up to 100 members due by then.</summary>
    public const string Due = Common + """
        return redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', now_ms() - tonumber(ARGV[2]), 'LIMIT', 0, 100)
        """;
}
