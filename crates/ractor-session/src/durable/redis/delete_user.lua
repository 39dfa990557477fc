-- Deletes every record bound to the user ARGV[3], whose set of session IDs is KEYS[1].
-- ARGV[1]: now, in ms since the Unix epoch; ARGV[2]: the prefix of record keys. IDs whose
-- record expired (Redis removed it) or belongs to no one else are skipped.
-- Returns the IDs of the deleted records that were live.
local now = tonumber(ARGV[1])
local live = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local key = ARGV[2] .. id
    local stored = redis.call('HMGET', key, 'w', 'x')
    if stored[1] == ARGV[3] then
        redis.call('DEL', key)
        if (tonumber(stored[2]) or 0) > now then
            table.insert(live, id)
        end
    end
end
redis.call('DEL', KEYS[1])
return live
