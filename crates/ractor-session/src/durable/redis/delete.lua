-- Deletes the record at KEYS[1] unless it is live and carries a newer epoch than ARGV[2].
-- ARGV[1]: now, in ms since the Unix epoch.
-- Returns {'deleted' | 'missing' | 'fenced', the stored epoch}.
local stored = redis.call('HMGET', KEYS[1], 'e', 'x')
local current = tonumber(stored[1])
if not current then
    return {'missing', 0}
end
if (tonumber(stored[2]) or 0) <= tonumber(ARGV[1]) then
    redis.call('DEL', KEYS[1])
    return {'missing', 0}
end
if current > tonumber(ARGV[2]) then
    return {'fenced', current}
end
redis.call('DEL', KEYS[1])
return {'deleted', current}
