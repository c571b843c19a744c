-- Extends an attempt's lease if it still holds it, and says whether a cancel was requested.
-- KEYS: 1 lease, 2 cancel request
-- ARGV: 1 fencing token, 2 lease in ms
-- Returns { held (1/0), cancel requested (1/0) }.
local held = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  held = 1
end
return { held, redis.call('EXISTS', KEYS[2]) }
