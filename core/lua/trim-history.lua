-- Trims an environment's deployment history: ended deployments past the newest `max count`
-- records, or created before the cutoff, are forgotten with their event streams. A deployment
-- that has not ended is never touched, and neither is the newest ended one (what the
-- environment last became). Deciding and deleting in one step, so a record cannot end, or be
-- read as ended, between the two.
--
-- KEYS: 1 the environment's history (sorted set, score = creation time in ms)
-- ARGV: 1 record key prefix, 2 event stream key prefix (both from redis-keys.ts: a record's
--       cancel request is `<record>:cancel`, a stream's sequence `<stream>:seq`),
--       3 max count, 4 cutoff in ms, 5.. the final statuses
-- Returns the number of deployments forgotten.
local FINAL = {}
for i = 5, #ARGV do FINAL[ARGV[i]] = true end
local maxCount = tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4])
local entries = redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local kept = 0
local newestEnded = false
local removed = 0
for i = 1, #entries, 2 do
  local id = entries[i]
  local score = tonumber(entries[i + 1])
  local record = ARGV[1] .. id
  local raw = redis.call('GET', record)
  local forget = false
  if not raw then
    -- An index entry without its record: nothing to keep.
    forget = true
  elseif FINAL[cjson.decode(raw).status] then
    if newestEnded then
      forget = kept >= maxCount or score < cutoff
    else
      newestEnded = true
    end
  end
  if forget then
    local stream = ARGV[2] .. id
    redis.call('DEL', record, record .. ':cancel', stream, stream .. ':seq')
    redis.call('ZREM', KEYS[1], id)
    if raw then removed = removed + 1 end
  else
    kept = kept + 1
  end
end
return removed
