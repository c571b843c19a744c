-- Gives up an attempt's lease without ending the deployment (the worker is stopping, or lost
-- the lease), so another attempt can resume it at once instead of waiting for the expiry.
-- KEYS: 1 lease
-- ARGV: 1 fencing token
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
