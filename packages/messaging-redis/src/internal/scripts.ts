/**
 * Lua scripts, each one atomic step. Times come from the server (`TIME`), so members' clocks
 * do not matter.
 */

/** KEYS[1] members zset; ARGV[1] member, ARGV[2] timeout ms. Renews the member, drops expired ones, returns the live ones. */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/** KEYS[1] members zset; ARGV[1] member. Leaves the group. */
export const LEAVE = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

/** KEYS[1] lease; ARGV[1] member, ARGV[2] ttl ms. 1 if held (taken or renewed), 0 if another member holds it. */
export const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** KEYS[1] lease; ARGV[1] member. Releases the lease if held. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * KEYS[1] lease, KEYS[2] stream; ARGV[1] member, ARGV[2] group, ARGV[3] entry id. The ack,
 * fenced: only the lease holder may ack (-1 otherwise); returns XACK's count.
 */
export const FENCED_ACK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])`;
