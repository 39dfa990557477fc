-- Deletes the record at KEYS[1] unless it is live and carries a newer epoch than ARGV[2].
-- ARGV[1]: now, in ms since the Unix epoch; ARGV[3]: the prefix of the per-user sets;
-- ARGV[4]: the session ID, taken out of its user's set with the record.
-- Returns {'deleted' | 'missing' | 'fenced', the stored epoch}.
local stored = redis.call('HMGET', KEYS[1], 'e', 'x', 'w')
local current = tonumber(stored[1])
if not current then
    return {'missing', 0}
end
local function remove()
    redis.call('DEL', KEYS[1])
    if stored[3] then
        redis.call('SREM', ARGV[3] .. stored[3], ARGV[4])
    end
end
if (tonumber(stored[2]) or 0) <= tonumber(ARGV[1]) then
    remove()
    return {'missing', 0}
end
if current > tonumber(ARGV[2]) then
    return {'fenced', current}
end
remove()
return {'deleted', current}
