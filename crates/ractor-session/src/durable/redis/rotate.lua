-- Moves the record at KEYS[1] to KEYS[2], written with epoch ARGV[2], unless the record is
-- live with a newer epoch or KEYS[2] holds a live record. RENAME keeps the key's expiry.
-- ARGV[1]: now, in ms since the Unix epoch; ARGV[3]: the prefix of the per-user sets;
-- ARGV[4], ARGV[5]: the old and the new session ID. A bound record's user set follows.
-- Returns {'rotated' | 'missing' | 'fenced' | 'taken', the stored epoch}.
local now = tonumber(ARGV[1])
local stored = redis.call('HMGET', KEYS[1], 'e', 'x')
local current = tonumber(stored[1])
if not current or (tonumber(stored[2]) or 0) <= now then
    return {'missing', 0}
end
if current > tonumber(ARGV[2]) then
    return {'fenced', current}
end
local taken = tonumber(redis.call('HGET', KEYS[2], 'x'))
if taken and taken > now then
    return {'taken', 0}
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], 'e', ARGV[2])
local user = redis.call('HGET', KEYS[2], 'w')
if user then
    local set = ARGV[3] .. user
    redis.call('SREM', set, ARGV[4])
    redis.call('SADD', set, ARGV[5])
end
return {'rotated', current}
