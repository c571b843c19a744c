-- Records which installation owns this namespace, or says which one already does.
-- KEYS: 1 installation hash
-- ARGV: 1 bundle key fingerprint, 2 queue name, 3 time
redis.call('HSETNX', KEYS[1], 'fingerprint', ARGV[1])
redis.call('HSETNX', KEYS[1], 'queue', ARGV[2])
redis.call('HSETNX', KEYS[1], 'since', ARGV[3])
return redis.call('HMGET', KEYS[1], 'fingerprint', 'queue', 'since')
