"""The Lua scripts `RedisCache` runs: each one atomic on the server."""

# KEYS: value key, epochs hash, tag set keys...  ARGV: value, ttl ms, check epochs (0/1),
# tag names..., expected epochs...   Returns 1 when stored, 0 when an invalidation won the race.
STORE = """
local n = #KEYS - 2
if ARGV[3] == '1' then
  for i = 1, n do
    local epoch = redis.call('HGET', KEYS[2], ARGV[3 + i]) or '0'
    if epoch ~= ARGV[3 + n + i] then return 0 end
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 1, n do
  local tag_key = KEYS[2 + i]
  redis.call('SADD', tag_key, KEYS[1])
  if redis.call('PTTL', tag_key) < ttl then redis.call('PEXPIRE', tag_key, ttl) end
end
return 1
"""

# KEYS: epochs hash, tag set keys...  ARGV: channel, tag names...
INVALIDATE = """
for i = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 1000 do
    redis.call('DEL', unpack(members, j, math.min(j + 999, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
end
redis.call('PUBLISH', ARGV[1], table.concat(ARGV, '\\n', 2))
return 1
"""

# KEYS: lock key.  ARGV: token.  Deletes the lock only if we still hold it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
