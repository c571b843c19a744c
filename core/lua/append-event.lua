-- Appends one event to a deployment's stream. The sequence number and the entry are written in
-- one step, so writers in several processes still produce a gap-free, ordered stream whose entry
-- ids are the sequence numbers themselves ("0-<seq>"): replay from Last-Event-ID is an XRANGE.
-- KEYS: 1 stream, 2 sequence
-- ARGV: 1 kind, 2 data (JSON)
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], '0-' .. seq, 'kind', ARGV[1], 'data', ARGV[2])
return seq
