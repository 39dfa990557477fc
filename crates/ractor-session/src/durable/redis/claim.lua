-- Claims the live record at KEYS[1]: raises its epoch by one and returns its fields
-- (session type, format version, state, idle deadline, absolute deadline, updated at,
-- epoch, user key), or nil when there is no live record. ARGV[1]: now, in ms since the
-- Unix epoch.
local expires = tonumber(redis.call('HGET', KEYS[1], 'x'))
if not expires or expires <= tonumber(ARGV[1]) then
    return false
end
redis.call('HINCRBY', KEYS[1], 'e', 1)
return redis.call('HMGET', KEYS[1], 't', 'v', 's', 'i', 'a', 'u', 'e', 'w')
