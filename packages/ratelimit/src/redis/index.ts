export type { IoredisLike, NodeRedisLike, RedisScriptClient } from "./client";
export { ioredisAdapter, nodeRedisAdapter } from "./client";
export type { FailPolicy, RedisLimiter, RedisLimiterOptions, RedisLimiterStats } from "./limiter";
export { createRedisLimiter } from "./limiter";
export { GCRA_SCRIPT } from "./script";
