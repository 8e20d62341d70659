/**
 * GCRA in one atomic script. Times come from the Redis server (`TIME`), so
 * the clocks of the application instances sharing the key do not matter.
 * The arithmetic mirrors the in-memory limiter exactly (same tolerance, same
 * rounding); the shared conformance suite holds both to it.
 *
 * One call decides the checks made on one or more keys, key by key and in
 * order within a key, at one server time: the limiter sends the checks made
 * in the same tick together, so concurrent checks cost one round trip and
 * one script run per tick rather than one per check. On Redis Cluster the
 * keys of one call share a hash slot.
 *
 * Needs Redis ≥ 5 (scripts replicate their effects, so a write after TIME
 * is allowed).
 *
 * KEYS = the bucket keys. ARGV = interval ms, tau ms (interval × burst),
 * then for each key in turn the number of its checks followed by the cost of
 * each; with nothing after tau, every key has one check of cost 1 (the
 * common case of distinct keys, sent without per-key arguments). The keys
 * are read with one `MGET`; each key that admitted something is written
 * with one `SET … PX` that expires it exactly when its bucket is full again.
 *
 * Reply, for each check in order, flattened: an admitted check gives two
 * integers, { remaining, reset-after µs }; a refused one three,
 * { -1 - remaining, retry-after µs (-1: never), reset-after µs }. The sign
 * of the first tells which.
 *
 * Exported for operators who preload scripts or inspect them; the limiter
 * loads it itself.
 *
 * @example
 * ```ts
 * import Redis from "ioredis";
 * import { GCRA_SCRIPT } from "@groundwork/ratelimit/redis";
 *
 * const sha = await new Redis().script("LOAD", GCRA_SCRIPT);
 * ```
 */
export const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local eps = math.min(0.001, interval / 1000)
local t = redis.call("TIME")
-- Milliseconds since 2023-11-14: a smaller magnitude than the Unix epoch
-- keeps sub-microsecond precision in doubles for high rates.
local now = (tonumber(t[1]) - 1700000000) * 1000 + tonumber(t[2]) / 1000
local nkeys = #KEYS
local stored
if nkeys == 1 then
  stored = { redis.call("GET", KEYS[1]) }
else
  stored = redis.call("MGET", unpack(KEYS))
end
local simple = #ARGV == 2
local reply = {}
local n = 0
local a = 3
-- Times go back as integer microseconds, rounded up: integer replies are
-- cheaper for clients to parse than formatted floats. The 0.05 µs allowance
-- keeps float noise (new_tat - now is 1000.00000001, not 1000) from adding a
-- whole microsecond.
for k = 1, nkeys do
  local count = 1
  if not simple then
    count = tonumber(ARGV[a])
    a = a + 1
  end
  -- A missing key reads as false, which tonumber turns into nil.
  local tat = tonumber(stored[k])
  if tat == nil or tat < now then tat = now end
  local written = false
  for c = 1, count do
    local cost = 1
    if not simple then
      cost = tonumber(ARGV[a])
      a = a + 1
    end
    local new_tat = tat + cost * interval
    local allow_at = new_tat - tau
    if allow_at > now + eps then
      local retry = -1
      if cost * interval <= tau + eps then retry = math.ceil((allow_at - now) * 1000 - 0.05) end
      local r = math.floor((now + tau - tat + eps) / interval)
      if r < 0 then r = 0 end
      reply[n + 1] = -1 - r
      reply[n + 2] = retry
      reply[n + 3] = math.ceil((tat - now) * 1000 - 0.05)
      n = n + 3
    else
      if cost > 0 then
        tat = new_tat
        written = true
      end
      local r = math.floor((now + tau - new_tat + eps) / interval)
      if r < 0 then r = 0 end
      reply[n + 1] = r
      reply[n + 2] = math.ceil((new_tat - now) * 1000 - 0.05)
      n = n + 2
    end
  end
  if written then
    local ttl = math.ceil(tat - now)
    if ttl < 1 then ttl = 1 end
    -- Redis itself converts a number argument with full (17-digit) precision.
    redis.call("SET", KEYS[k], tat, "PX", ttl)
  end
end
return reply
`;
