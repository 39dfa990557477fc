-- Saves records in order, each unless a live stored record carries a newer epoch.
-- KEYS: the records' keys. ARGV[1]: now, in milliseconds since the Unix epoch; ARGV[2]: the
-- prefix of the per-user sets; then 10 values per record: session type, format version,
-- state, idle deadline, absolute deadline ('' for none), updated at, epoch, expires at (the
-- earlier deadline, also the key's expiry), user key ('' for none), session ID.
-- A bound record's ID is added to its user's set, which expires with the user's last record.
-- Returns, per record, -1 when saved, else the stored epoch that fenced it off.
local now = tonumber(ARGV[1])
local outcomes = {}
for i, key in ipairs(KEYS) do
    local at = 2 + (i - 1) * 10
    local epoch = tonumber(ARGV[at + 7])
    local stored = redis.call('HMGET', key, 'e', 'x')
    local current = tonumber(stored[1])
    if current and (tonumber(stored[2]) or 0) > now and current > epoch then
        outcomes[i] = current
    else
        local expires = tonumber(ARGV[at + 8])
        local user = ARGV[at + 9]
        redis.call('DEL', key)
        redis.call('HSET', key, 't', ARGV[at + 1], 'v', ARGV[at + 2], 's', ARGV[at + 3],
            'i', ARGV[at + 4], 'a', ARGV[at + 5], 'u', ARGV[at + 6], 'e', ARGV[at + 7],
            'x', ARGV[at + 8])
        redis.call('PEXPIREAT', key, expires)
        if user ~= '' then
            redis.call('HSET', key, 'w', user)
            local set = ARGV[2] .. user
            redis.call('SADD', set, ARGV[at + 10])
            local ttl = redis.call('PTTL', set)
            if ttl < 0 or now + ttl < expires then
                redis.call('PEXPIREAT', set, expires)
            end
        end
        outcomes[i] = -1
    end
end
return outcomes
