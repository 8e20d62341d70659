import { monotonicNow, queueMicrotask } from "@groundwork/platform";
import { invalidOption, RateLimitError } from "../errors";
import { deadlines, type Ticket } from "../internal/deadlines";
import { epsilonFor } from "../internal/gcra";
import { type RateInput, resolveRate } from "../rate";
import type {
  AsyncLimiter,
  Awaitable,
  CheckOptions,
  Limiter,
  LimiterPolicy,
  RateLimitResult,
} from "../types";
import type { RedisScriptClient } from "./client";
import { GCRA_SCRIPT } from "./script";
import { hashSlot } from "./slot";

/** What a Redis-backed limiter answers when Redis fails and there is no fallback. */
export type FailPolicy = "open" | "closed";

/** Options of {@link createRedisLimiter}. */
export interface RedisLimiterOptions {
  /** A client adapter: `ioredisAdapter(client)`, `nodeRedisAdapter(client)` or your own. */
  client: RedisScriptClient;
  /** Steady rate, e.g. `"100/s"`. Parsed once. */
  rate: RateInput;
  /** Requests allowed at once from an idle key (≥ 1). Default: the rate's count, rounded up. */
  burst?: number;
  /** Prefix of the Redis keys: `<prefix>:<key>`, and `<prefix>` for the shared bucket. Default `"gw:rl"`. */
  prefix?: string;
  /**
   * When Redis fails (error or timeout) and no `fallback` is set: `"open"`
   * allows the request, `"closed"` refuses it (retry after one interval).
   * Either way `remaining` and `resetAfterMs` are `NaN` (unknown). Default `"open"`.
   */
  fail?: FailPolicy;
  /**
   * A limiter to ask instead while Redis fails, typically an in-memory
   * `createLimiter()` with a per-instance share of the rate. Takes precedence over `fail`.
   */
  fallback?: Limiter;
  /** Give up on Redis after this many milliseconds. Default 1 000. */
  timeoutMs?: number;
  /**
   * Reject `check` with a `RateLimitError` (`ERR_STORE_UNAVAILABLE` /
   * `ERR_STORE_REPLY`) instead of applying the fail policy. Default `false`.
   */
  throwOnError?: boolean;
  /** Told about every store failure. Exceptions it throws are ignored. */
  onError?: (error: RateLimitError) => void;
  /**
   * Keys refused with nothing left are remembered locally until their next
   * unit accrues, so a flood of checks on a denied key costs no round trips.
   * Such answers are refusals Redis would also give (refusals consume
   * nothing, and other instances can only push the key's time later);
   * `cost: 0` checks always ask Redis. At most this many keys are
   * remembered; `0` turns the cache off. Default 10 000.
   */
  denyCacheSize?: number;
}

interface Pending extends Ticket {
  /** Monotonic time the check was made. */
  madeAt: number;
  resolve: (result: Awaitable<RateLimitResult>) => void;
  reject: (error: unknown) => void;
  key: string | undefined;
  options: CheckOptions | undefined;
  cost: number;
}

/** Most checks decided by one script call; more in one tick take several calls. */
const MAX_BATCH = 128;

/** One script call: its keys and arguments, and the checks it decides in reply order. */
interface Call {
  keys: string[];
  args: string[];
  batch: Pending[];
  /** Monotonic time the call was sent. */
  sentAt: number;
}

/** A key refused with nothing left: no unit accrues before `until`. */
interface Denial {
  until: number;
  fullAt: number;
}

/** Counters of a Redis-backed limiter. */
export interface RedisLimiterStats {
  /** Checks answered by Redis. */
  readonly checks: number;
  /** Store failures (errors, timeouts, malformed replies). */
  readonly errors: number;
  /** The most recent failure. */
  readonly lastError: RateLimitError | undefined;
  /** Checks refused from the deny cache, without a round trip. */
  readonly localDenials: number;
}

/** A GCRA limiter whose state lives in Redis, shared by every instance using the same keys. */
export interface RedisLimiter extends AsyncLimiter {
  /** Counters since creation. */
  stats(): RedisLimiterStats;
}

/**
 * Creates a GCRA limiter backed by Redis: one atomic Lua script per check
 * (`EVALSHA`, loaded with `SCRIPT LOAD` on first use and after a
 * `NOSCRIPT`), server time, keys that expire as soon as they are idle. Many
 * application instances sharing one Redis share the limit. Each key is a
 * single Redis key, so it works with Redis Cluster. A check made while no
 * script call is in flight goes out at once; checks made while one is wait
 * for the end of the tick and share one call (per hash slot on a cluster),
 * decided in call order.
 *
 * Store failures never reach the request path unless `throwOnError` is set:
 * the `fallback` limiter answers, else the `fail` policy does.
 *
 * @param options - client (required), rate (required), burst (default: the
 *   rate's count), prefix (`"gw:rl"`), fail (`"open"`), fallback, timeoutMs
 *   (1 000), throwOnError (`false`), onError.
 * @returns an asynchronous limiter.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` for any invalid option.
 * @example
 * ```ts
 * import Redis from "ioredis";
 * import { createLimiter } from "@groundwork/ratelimit";
 * import { createRedisLimiter, ioredisAdapter } from "@groundwork/ratelimit/redis";
 *
 * const api = createRedisLimiter({
 *   client: ioredisAdapter(new Redis()),
 *   rate: "100/min",
 *   burst: 20,
 *   fallback: createLimiter({ rate: "25/min", burst: 5 }),
 * });
 * const r = await api.check("user:42");
 * ```
 */
export function createRedisLimiter(options: RedisLimiterOptions): RedisLimiter {
  const { rate, burst } = resolveRate(options.rate, options.burst);
  const { client, fallback, onError } = options;
  if (
    typeof client !== "object" ||
    client === null ||
    typeof client.evalsha !== "function" ||
    typeof client.scriptLoad !== "function"
  ) {
    throw invalidOption(
      "client must be a RedisScriptClient (see ioredisAdapter, nodeRedisAdapter)",
    );
  }
  const timeoutMs = options.timeoutMs ?? 1_000;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs === Number.POSITIVE_INFINITY) {
    throw invalidOption(`timeoutMs must be a positive finite number, got ${String(timeoutMs)}`);
  }
  const fail = options.fail ?? "open";
  if (fail !== "open" && fail !== "closed") {
    throw invalidOption(`fail must be "open" or "closed", got ${String(fail)}`);
  }
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw invalidOption("prefix must be a string");
  }
  if (fallback !== undefined && typeof fallback?.check !== "function") {
    throw invalidOption("fallback must be a Limiter");
  }
  if (onError !== undefined && typeof onError !== "function") {
    throw invalidOption("onError must be a function");
  }
  const throwOnError = options.throwOnError ?? false;
  const prefix = options.prefix ?? "gw:rl";
  const interval = rate.intervalMs;
  const tau = interval * burst;
  const epsilon = epsilonFor(interval);
  const cluster = client.cluster === true;
  const denyCacheSize = options.denyCacheSize ?? 10_000;
  if (!Number.isInteger(denyCacheSize) || denyCacheSize < 0) {
    throw invalidOption(`denyCacheSize must be an integer ≥ 0, got ${String(denyCacheSize)}`);
  }
  const intervalArg = String(interval);
  const tauArg = String(tau);
  const policy: LimiterPolicy = { count: rate.count, periodMs: rate.periodMs, burst };

  let sha: string | undefined;
  let loading: Promise<string> | undefined;
  let checks = 0;
  let localDenials = 0;
  let errors = 0;
  let lastError: RateLimitError | undefined;

  const load = (): Promise<string> => {
    // Concurrent checks after a restart share one SCRIPT LOAD.
    loading ??= client.scriptLoad(GCRA_SCRIPT).then(
      (reply) => {
        loading = undefined;
        if (typeof reply !== "string") {
          throw new RateLimitError("ERR_STORE_REPLY", "SCRIPT LOAD did not return a SHA-1");
        }
        sha = reply;
        return reply;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    return loading;
  };

  const failed = (
    err: unknown,
    key: string | undefined,
    checkOptions: CheckOptions | undefined,
  ): Awaitable<RateLimitResult> => {
    const error =
      err instanceof RateLimitError
        ? err
        : new RateLimitError(
            "ERR_STORE_UNAVAILABLE",
            `Redis rate-limit store failed: ${describe(err)}`,
            { cause: err },
          );
    errors++;
    lastError = error;
    if (onError) {
      try {
        onError(error);
      } catch {
        // A broken error hook must not turn a degraded limiter into a failing request.
      }
    }
    if (throwOnError) throw error;
    if (fallback) return fallback.check(key, checkOptions);
    const cost = checkOptions?.cost ?? 1;
    // Without the store the state is unknown: NaN, as the Workers store reports it.
    return fail === "open"
      ? { allowed: true, remaining: Number.NaN, retryAfterMs: 0, resetAfterMs: Number.NaN }
      : {
          allowed: false,
          remaining: Number.NaN,
          retryAfterMs: interval * Math.max(1, cost),
          resetAfterMs: Number.NaN,
        };
  };

  const timeoutError = () =>
    new RateLimitError("ERR_STORE_UNAVAILABLE", `Redis did not answer within ${timeoutMs} ms`);

  const settle = (p: Pending, outcome: () => Awaitable<RateLimitResult>) => {
    try {
      p.resolve(outcome());
    } catch (err) {
      p.reject(err);
    }
  };
  const watchdog = deadlines<Pending>(timeoutMs, (p) =>
    settle(p, () => failed(timeoutError(), p.key, p.options)),
  );
  // Every key with one check of cost 1: no per-key arguments (see GCRA_SCRIPT).
  const ARGS_SIMPLE = [intervalArg, tauArg];

  // Refused keys, answered locally until their next unit accrues; see check.
  const denied = new Map<string | undefined, Denial>();

  const remember = (p: Pending, result: RateLimitResult, sentAt: number) => {
    // Only a key with nothing left now: a refusal of a large cost says
    // nothing about a small one. Times count from when the call was sent,
    // which is no later than the server's decision, so the local answer
    // never outlives the true one.
    if (denyCacheSize === 0 || result.allowed || result.remaining !== 0 || p.cost === 0) return;
    const nextUnit = interval - (tau - result.resetAfterMs);
    if (!(nextUnit > 0)) return;
    if (denied.size >= denyCacheSize) {
      const now = monotonicNow();
      for (const [key, d] of denied) if (d.until <= now) denied.delete(key);
      if (denied.size >= denyCacheSize) {
        const oldest = denied.keys().next();
        if (!oldest.done) denied.delete(oldest.value);
      }
    }
    denied.delete(p.key);
    denied.set(p.key, { until: sentAt + nextUnit, fullAt: sentAt + result.resetAfterMs });
  };

  // Script calls sent and not yet answered; see check.
  let inFlight = 0;

  const replied = (batch: readonly Pending[], reply: unknown, sentAt: number) => {
    inFlight--;
    if (!isWellFormed(reply, batch.length)) {
      const error = new RateLimitError(
        "ERR_STORE_REPLY",
        `unexpected reply from the rate-limit script: ${describe(reply)}`,
      );
      for (const p of batch) {
        if (watchdog.settle(p)) settle(p, () => failed(error, p.key, p.options));
      }
      return;
    }
    let at = 0;
    for (const p of batch) {
      const first = reply[at]!;
      let result: RateLimitResult;
      if (first >= 0) {
        result = {
          allowed: true,
          remaining: first,
          retryAfterMs: 0,
          resetAfterMs: reply[at + 1]! / 1_000,
        };
        at += 2;
      } else {
        const retryUs = reply[at + 1]!;
        result = {
          allowed: false,
          remaining: -1 - first,
          retryAfterMs: retryUs < 0 ? Number.POSITIVE_INFINITY : retryUs / 1_000,
          resetAfterMs: reply[at + 2]! / 1_000,
        };
        at += 3;
      }
      if (!watchdog.settle(p)) continue;
      checks++;
      remember(p, result, sentAt);
      // Resolving with a plain object cannot throw.
      p.resolve(result);
    }
  };
  const errored = (batch: readonly Pending[], err: unknown) => {
    inFlight--;
    for (const p of batch) {
      if (watchdog.settle(p)) settle(p, () => failed(err, p.key, p.options));
    }
  };

  // A client may throw instead of rejecting; both take the same path.
  const run = (call: Call, send: () => Promise<unknown>, current?: string) => {
    try {
      send().then(
        (reply) => replied(call.batch, reply, call.sentAt),
        (err: unknown) => {
          if (current === undefined || !isNoScript(err)) {
            errored(call.batch, err);
            return;
          }
          run(call, () => retryAfterNoScript(current, call));
        },
      );
    } catch (err) {
      errored(call.batch, err);
    }
  };

  // After NOSCRIPT (a server restarted or ran SCRIPT FLUSH, or a cluster
  // node never saw the script): EVAL where the client can, which also caches
  // the script on the node that owns the keys; else reload once and retry.
  const retryAfterNoScript = (failedSha: string, call: Call): Promise<unknown> => {
    const { evalScript } = client;
    if (evalScript) return evalScript.call(client, GCRA_SCRIPT, call.keys, call.args);
    if (sha === failedSha) sha = undefined;
    return (sha === undefined ? load() : Promise.resolve(sha)).then((fresh) =>
      client.evalsha(fresh, call.keys, call.args),
    );
  };

  const dispatch = (call: Call) => {
    inFlight++;
    const current = sha;
    if (current === undefined) {
      let script: Promise<string>;
      try {
        script = load();
      } catch (err) {
        // A client may throw instead of rejecting here too.
        errored(call.batch, err);
        return;
      }
      // Handlers go straight onto the evalsha promise (not adopted through
      // an outer then), so its rejection is handled the moment it exists.
      script.then(
        // A cluster node other than the one that loaded it may still answer NOSCRIPT.
        (loaded) => run(call, () => client.evalsha(loaded, call.keys, call.args), loaded),
        (err: unknown) => errored(call.batch, err),
      );
      return;
    }
    run(call, () => client.evalsha(current, call.keys, call.args), current);
  };

  // Builds script calls of at most MAX_BATCH checks from (key, checks) groups
  // that may share a call: all of them on one Redis, one hash slot's on a cluster.
  const send = (groups: Iterable<[string | undefined, Pending[]]>) => {
    let keys: string[] = [];
    // Per-key counts and costs, written only once a key has more than one
    // check or a cost other than 1; until then every key has one check of
    // cost 1 and the call carries no per-key arguments.
    let args: string[] | undefined;
    let batch: Pending[] = [];
    const out = () => {
      if (batch.length === 0) return;
      // The first check's time: no later than the call, as the deny cache needs.
      const sentAt = batch[0]!.madeAt;
      dispatch({ keys, args: args ?? ARGS_SIMPLE, batch, sentAt });
      keys = [];
      args = undefined;
      batch = [];
    };
    for (const [key, checksOfKey] of groups) {
      for (let i = 0; i < checksOfKey.length; i += MAX_BATCH) {
        const part =
          checksOfKey.length <= MAX_BATCH ? checksOfKey : checksOfKey.slice(i, i + MAX_BATCH);
        if (batch.length + part.length > MAX_BATCH) out();
        if (args === undefined && (part.length > 1 || part[0]!.cost !== 1)) {
          args = [intervalArg, tauArg];
          for (let k = 0; k < keys.length; k++) args.push("1", "1");
        }
        keys.push(redisKey(key));
        if (args === undefined) {
          batch.push(part[0]!);
          continue;
        }
        args.push(String(part.length));
        for (const p of part) {
          args.push(String(p.cost));
          batch.push(p);
        }
      }
    }
    out();
  };

  // A check made while a call is in flight waits in `queued`, grouped by
  // key, and goes out with the other checks of its tick at the end of the
  // tick (the microtask checkpoint).
  let queued = new Map<string | undefined, Pending[]>();
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    const groups = queued;
    queued = new Map();
    if (!cluster) {
      send(groups);
      return;
    }
    const bySlot = new Map<number, [string | undefined, Pending[]][]>();
    for (const entry of groups) {
      const slot = hashSlot(redisKey(entry[0]));
      const list = bySlot.get(slot);
      if (list === undefined) bySlot.set(slot, [entry]);
      else list.push(entry);
    }
    for (const list of bySlot.values()) send(list);
  };

  const redisKey = (key: string | undefined) => (key === undefined ? prefix : `${prefix}:${key}`);

  function check(key?: string, checkOptions?: CheckOptions): Promise<RateLimitResult> {
    const cost = checkOptions?.cost ?? 1;
    // A cost no bucket can hold (negative, NaN, infinite) is refused for
    // good without asking Redis; checks never throw.
    if (!(cost >= 0) || cost === Number.POSITIVE_INFINITY) return Promise.resolve(NEVER);
    const now = monotonicNow();
    if (cost > 0 && denied.size > 0) {
      const d = denied.get(key);
      if (d !== undefined) {
        if (now < d.until) {
          localDenials++;
          const increment = cost * interval;
          return Promise.resolve({
            allowed: false,
            remaining: 0,
            retryAfterMs:
              increment > tau + epsilon
                ? Number.POSITIVE_INFINITY
                : d.until - now + increment - interval,
            resetAfterMs: Math.max(0, d.fullAt - now),
          });
        }
        denied.delete(key);
      }
    }
    return new Promise<RateLimitResult>((resolve, reject) => {
      const p: Pending = {
        deadline: now + timeoutMs,
        done: false,
        madeAt: now,
        resolve,
        reject,
        key,
        options: checkOptions,
        cost,
      };
      watchdog.watch(p);
      if (inFlight === 0 && !flushScheduled) {
        // Nothing to share a call with: a lone check goes out at once.
        dispatch({
          keys: [redisKey(key)],
          args: cost === 1 ? ARGS_SIMPLE : [intervalArg, tauArg, "1", String(cost)],
          batch: [p],
          sentAt: now,
        });
        return;
      }
      const batch = queued.get(key);
      if (batch === undefined) queued.set(key, [p]);
      else batch.push(p);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
    });
  }

  return {
    policy,
    exact: true,
    check,
    stats: () => ({ checks, errors, lastError, localDenials }),
  };
}

const NEVER: RateLimitResult = Object.freeze({
  allowed: false,
  remaining: Number.NaN,
  retryAfterMs: Number.POSITIVE_INFINITY,
  resetAfterMs: Number.NaN,
});

/**
 * Whether `reply` is the script's answer to `checks` checks: numbers only,
 * two per admitted check and three per refused one (see GCRA_SCRIPT),
 * nothing left over. Checked whole before any check is answered, so a
 * malformed reply fails the whole call rather than part of it.
 */
function isWellFormed(reply: unknown, checks: number): reply is number[] {
  if (!Array.isArray(reply)) return false;
  let at = 0;
  for (let c = 0; c < checks; c++) {
    const first: unknown = reply[at];
    if (typeof first !== "number") return false;
    const size = first >= 0 ? 2 : 3;
    for (let j = 1; j < size; j++) if (typeof reply[at + j] !== "number") return false;
    at += size;
  }
  return at === reply.length;
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("NOSCRIPT");
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
