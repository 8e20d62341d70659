/**
 * The commands the Redis store needs. Adapters for ioredis and node-redis are
 * provided; any client that can send these works.
 */
export interface RedisScriptClient {
  /** `EVALSHA sha1 numkeys key... arg...`; rejects with an error whose message starts with `NOSCRIPT` when the script is not cached. */
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  /** `SCRIPT LOAD script`; resolves to the script's SHA-1. */
  scriptLoad(script: string): Promise<unknown>;
  /**
   * `EVAL script numkeys key... arg...`, used after a `NOSCRIPT` reply: it
   * runs the script on the node that owns the keys and caches it there
   * (needed on a cluster, where `SCRIPT LOAD` reaches one node). Without it
   * the store reloads with `scriptLoad` and retries.
   */
  evalScript?(script: string, keys: string[], args: string[]): Promise<unknown>;
  /**
   * `true` for a Redis Cluster client: one script call then only names keys
   * of one hash slot. Default `false` (one server: any keys in one call).
   */
  readonly cluster?: boolean;
}

/** The part of an `ioredis` client (v5, `Redis` or `Cluster`) the adapter uses. */
export interface IoredisLike {
  /** `EVALSHA` with the key count and keys/arguments spread. */
  evalsha(sha1: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** `EVAL` with the key count and keys/arguments spread. */
  eval(script: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** `SCRIPT LOAD`. */
  script(subcommand: "LOAD", script: string): Promise<unknown>;
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster?: boolean;
}

/** The part of a `node-redis` (v4/v5, `redis` package) client the adapter uses. */
export interface NodeRedisLike {
  /** `EVALSHA` with keys and arguments as options. */
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** `EVAL` with keys and arguments as options. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** `SCRIPT LOAD`. */
  scriptLoad(script: string): Promise<unknown>;
}

/**
 * Adapts an `ioredis` client (or cluster) for {@link createRedisLimiter}.
 *
 * @param client - a connected `ioredis` `Redis` or `Cluster`.
 * @returns the adapter.
 * @example
 * ```ts
 * import Redis from "ioredis";
 * import { ioredisAdapter } from "@groundwork/ratelimit/redis";
 *
 * const store = ioredisAdapter(new Redis("redis://127.0.0.1:6379"));
 * ```
 */
export function ioredisAdapter(client: IoredisLike): RedisScriptClient {
  return {
    evalsha: (sha1, keys, args) => client.evalsha(sha1, keys.length, ...keys, ...args),
    evalScript: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
    scriptLoad: (script) => client.script("LOAD", script),
    cluster: client.isCluster === true,
  };
}

/**
 * Adapts a `node-redis` client (the `redis` package, v4 or v5) for {@link createRedisLimiter}.
 *
 * @param client - a connected client from `createClient()`, or from
 *   `createCluster()` with `options.cluster` set.
 * @param options - `cluster`: the client is a cluster client (default `false`).
 * @returns the adapter.
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { nodeRedisAdapter } from "@groundwork/ratelimit/redis";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const store = nodeRedisAdapter(client);
 * ```
 */
export function nodeRedisAdapter(
  client: NodeRedisLike,
  options: { cluster?: boolean } = {},
): RedisScriptClient {
  return {
    evalsha: (sha1, keys, args) => client.evalSha(sha1, { keys, arguments: args }),
    evalScript: (script, keys, args) => client.eval(script, { keys, arguments: args }),
    scriptLoad: (script) => client.scriptLoad(script),
    cluster: options.cluster === true,
  };
}
