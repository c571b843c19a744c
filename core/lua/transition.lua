-- One transition of a deployment: the record is replaced only if nobody changed it since it was
-- read (compare-and-set), and the environment's line, its current slot and lease, the awaiting
-- set, the unfinished set and the event stream move in the same step. So a final record is
-- always out of the line, its environment released and its stream ended.
--
-- KEYS: 1 record, 2 line, 3 current, 4 lease, 5 stream, 6 sequence, 7 awaiting, 8 unfinished,
--       9 cancel request, 10 environment's history, 11 notification outbox, 12 environment record,
--       13 environments index
-- ARGV: 1 deployment id, 2 record as read ('' when it must not exist yet), 3 new record,
--       4 fencing token ('' when the caller holds no lease), 5 operations (letters below),
--       6 line score, 7 history score, 8 stream retention in seconds,
--       9 how many notifications follow (n), 10..9+n notifications for the outbox,
--       10+n.. event kind and data pairs to append
-- Operations: C created (history, unfinished), J join the line, W held for approval,
--   w no longer held, X ended, F the environment is forgotten (a destroy that succeeded): its
--   record goes in the same step, so nobody sees the destroy succeeded and the environment there
-- A caller without a token (an API process, the reconciler) never writes over a deployment that
-- a live attempt holds: only that attempt may.
-- Returns 1 done, 0 the record changed meanwhile (read again), -1 fenced out.
local id = ARGV[1]
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[2] then return 0 end
local token = ARGV[4]
local current = redis.call('GET', KEYS[3])
if token ~= '' then
  if redis.call('GET', KEYS[4]) ~= token then return -1 end
elseif current == id and redis.call('EXISTS', KEYS[4]) == 1 then
  return -1
end
local ops = ARGV[5]
local function has(op) return string.find(ops, op, 1, true) ~= nil end

redis.call('SET', KEYS[1], ARGV[3])
if has('C') then
  redis.call('ZADD', KEYS[10], ARGV[7], id)
  redis.call('SADD', KEYS[8], id)
end
if has('J') then redis.call('ZADD', KEYS[2], ARGV[6], id) end
if has('W') or has('X') then
  -- Held or ended: the environment is free for the next deployment.
  redis.call('ZREM', KEYS[2], id)
  if current == id then
    redis.call('DEL', KEYS[3])
    redis.call('DEL', KEYS[4])
  end
end
if has('W') then redis.call('SADD', KEYS[7], id) end
if has('w') then redis.call('SREM', KEYS[7], id) end
if has('X') then
  redis.call('SREM', KEYS[7], id)
  redis.call('SREM', KEYS[8], id)
  redis.call('DEL', KEYS[9])
end
if has('F') then
  redis.call('DEL', KEYS[12])
  redis.call('ZREM', KEYS[13], cjson.decode(ARGV[3]).environment)
end
-- Notifications are written with the transition, so none is lost to a process dying after it.
local notifications = tonumber(ARGV[9])
for i = 10, 9 + notifications do
  redis.call('XADD', KEYS[11], '*', 'n', ARGV[i])
end
for i = 10 + notifications, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[6])
  redis.call('XADD', KEYS[5], '0-' .. seq, 'kind', ARGV[i], 'data', ARGV[i + 1])
end
if has('X') then
  redis.call('EXPIRE', KEYS[5], ARGV[8])
  redis.call('EXPIRE', KEYS[6], ARGV[8])
end
return 1
