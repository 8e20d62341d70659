/**
 * GCRA in one atomic script. Times come from the Redis server (`TIME`), so
 * the clocks of the application instances sharing the key do not matter.
 * The arithmetic mirrors the in-memory limiter exactly (same tolerance, same
 * rounding); the shared conformance suite holds both to it.
 *
 * One call decides one or more checks on the same key, in order, at one
 * server time: the limiter sends the checks made on a key in the same tick
 * together, so a hot key costs one round trip and one script run per tick
 * rather than per check.
 *
 * Needs Redis ≥ 5 (scripts replicate their effects, so a write after TIME
 * is allowed).
 *
 * KEYS[1] = bucket key; ARGV = interval ms, tau ms (interval × burst), then
 * the cost of each check. Reply: for each check, in order, { allowed 0|1,
 * remaining, retry-after µs (-1: never), reset-after µs }, flattened.
 *
 * Exported for operators who preload scripts or inspect them; the limiter
 * loads it itself.
 *
 * @example
 * ```ts
 * import Redis from "ioredis";
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
local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil or tat < now then tat = now end
local written = false
local reply = {}
local n = 0
-- Times go back as integer microseconds, rounded up: integer replies are
-- cheaper for clients to parse than formatted floats. The 0.05 µs allowance
-- keeps float noise (new_tat - now is 1000.00000001, not 1000) from adding a
-- whole microsecond.
for i = 3, #ARGV do
  local cost = tonumber(ARGV[i])
  local new_tat = tat + cost * interval
  local allow_at = new_tat - tau
  if allow_at > now + eps then
    local retry = -1
    if cost * interval <= tau + eps then retry = math.ceil((allow_at - now) * 1000 - 0.05) end
    local r = math.floor((now + tau - tat + eps) / interval)
    if r < 0 then r = 0 end
    reply[n + 1] = 0
    reply[n + 2] = r
    reply[n + 3] = retry
    reply[n + 4] = math.ceil((tat - now) * 1000 - 0.05)
  else
    if cost > 0 then
      tat = new_tat
      written = true
    end
    local r = math.floor((now + tau - new_tat + eps) / interval)
    if r < 0 then r = 0 end
    reply[n + 1] = 1
    reply[n + 2] = r
    reply[n + 3] = 0
    reply[n + 4] = math.ceil((new_tat - now) * 1000 - 0.05)
  end
  n = n + 4
end
if written then
  local ttl = math.ceil(tat - now)
  if ttl < 1 then ttl = 1 end
  -- Redis itself converts a number argument with full (17-digit) precision.
  redis.call("SET", KEYS[1], tat, "PX", ttl)
end
return reply
`;
