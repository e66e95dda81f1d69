//! The Lua scripts the fleet runs in Redis: each is one atomic step (compare the lease
//! owner, check the fencing number, cap what a read returns).

pub(super) const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

pub(super) const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// KEYS[1] a lease no host of this fleet can have set; ARGV: its value as read ('' when
/// it was too long to read), the longest value octoken reads. Drops it if unchanged.
pub(super) const DROP_FOREIGN: &str = r"
local s = redis.call('GET', KEYS[1])
if s and (s == ARGV[1] or #s > tonumber(ARGV[2])) then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The one read. KEYS[1]; ARGV[1] the longest value to return; ARGV[2..] hash fields
/// (none: the key's string value). A longer value comes back as its length (an
/// integer), so a reply holds at most (fields x ARGV[1]) bytes of data.
pub(super) const READ: &str = r"
local cap = tonumber(ARGV[1])
local function bounded(s)
  if s and #s > cap then
    return #s
  end
  return s
end
if #ARGV == 1 then
  return {bounded(redis.call('GET', KEYS[1]))}
end
local out = {}
for i = 2, #ARGV do
  out[i - 1] = bounded(redis.call('HGET', KEYS[1], ARGV[i]))
end
return out";

/// KEYS[1] entry; ARGV: expected v, secrets (sealed for v + 1), access ('' keeps the
/// one there: a narrower scope's token is not the fleet's), refreshed_at, by.
pub(super) const COMMIT: &str = r"
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
  return -1
end
local n = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'secrets', ARGV[2], 'refreshed_at', ARGV[4], 'refreshed_by', ARGV[5])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'access', ARGV[3])
end
return n";

/// KEYS[1] entry; ARGV: expected v, the new v, secrets (sealed for it), refreshed_at,
/// by, client ('' keeps the one there). A new lineage: the fleet's access token goes.
pub(super) const LINEAGE: &str = r"
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
  return -1
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'secrets', ARGV[3], 'refreshed_at', ARGV[4], 'refreshed_by', ARGV[5])
redis.call('HDEL', KEYS[1], 'access')
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'client', ARGV[6])
end
return 1";

/// KEYS[1] entry; ARGV: v the token belongs to, access. Publishes an access token only
/// while the entry is still at that version.
pub(super) const PUBLISH: &str = r"
if (redis.call('HGET', KEYS[1], 'v') or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'access', ARGV[2])
return 1";
