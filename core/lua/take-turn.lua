-- Starts (or resumes) an attempt at a deployment: it takes the environment when the deployment
-- is first in line and nothing else is current, or when it is already current but its previous
-- attempt's lease has lapsed (that holder died). The lease carries this attempt's fencing token.
--
-- KEYS: 1 record, 2 line, 3 current, 4 lease, 5 stream, 6 sequence, 7 cancel request,
--       8 notification outbox
-- ARGV: 1 deployment id, 2 record as read, 3 new record, 4 fencing token, 5 lease in ms,
--       6 notification for the outbox ('' when resuming: it was announced), 7.. event kind and
--       data pairs to append
-- Returns 0 the record changed meanwhile, -2 not this deployment's turn, 1 taken,
-- 2 taken with a cancel request waiting.
local id = ARGV[1]
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[2] then return 0 end
local current = redis.call('GET', KEYS[3])
if current and current ~= id then return -2 end
if current == id then
  if redis.call('EXISTS', KEYS[4]) == 1 then return -2 end
else
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if head[1] ~= id then return -2 end
end
redis.call('SET', KEYS[3], id)
redis.call('SET', KEYS[4], ARGV[4], 'PX', ARGV[5])
redis.call('ZREM', KEYS[2], id)
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[6] ~= '' then redis.call('XADD', KEYS[8], '*', 'n', ARGV[6]) end
for i = 7, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[6])
  redis.call('XADD', KEYS[5], '0-' .. seq, 'kind', ARGV[i], 'data', ARGV[i + 1])
end
return 1 + redis.call('EXISTS', KEYS[7])
