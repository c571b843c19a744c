-- One page of a sorted set, highest score first (ties: highest member first, as ZRANGE REV
-- orders them), starting after a position (score and member) rather than at an offset, so
-- members added meanwhile neither shift nor repeat what the next page returns.
--
-- KEYS: 1 the sorted set
-- ARGV: 1 score of the position ('+inf' for the first page), 2 its member ('' for the first
--       page), 3 page size
-- Returns up to size + 1 members with their scores (one more tells that another page follows).
local skip = 0
if ARGV[2] ~= '' then
  -- Members tied with the position at its score and at or before it in this order.
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[1], 'BYSCORE')) do
    if member >= ARGV[2] then skip = skip + 1 end
  end
end
return redis.call('ZRANGE', KEYS[1], ARGV[1], '-inf', 'BYSCORE', 'REV', 'LIMIT', skip,
  tonumber(ARGV[3]) + 1, 'WITHSCORES')
