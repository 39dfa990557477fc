-- Saves records in order, each unless a live stored record carries a newer epoch.
-- KEYS: the records' keys. ARGV[1]: now, in milliseconds since the Unix epoch; then 8
-- values per record: session type, format version, state, idle deadline, absolute deadline
-- ('' for none), updated at, epoch, expires at (the earlier deadline, also the key's expiry).
-- Returns, per record, -1 when saved, else the stored epoch that fenced it off.
local now = tonumber(ARGV[1])
local outcomes = {}
for i, key in ipairs(KEYS) do
    local at = 1 + (i - 1) * 8
    local epoch = tonumber(ARGV[at + 7])
    local stored = redis.call('HMGET', key, 'e', 'x')
    local current = tonumber(stored[1])
    if current and (tonumber(stored[2]) or 0) > now and current > epoch then
        outcomes[i] = current
    else
        redis.call('DEL', key)
        redis.call('HSET', key, 't', ARGV[at + 1], 'v', ARGV[at + 2], 's', ARGV[at + 3],
            'i', ARGV[at + 4], 'a', ARGV[at + 5], 'u', ARGV[at + 6], 'e', ARGV[at + 7],
            'x', ARGV[at + 8])
        redis.call('PEXPIREAT', key, ARGV[at + 8])
        outcomes[i] = -1
    end
end
return outcomes
