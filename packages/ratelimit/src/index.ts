export type { RateLimitErrorCode } from "./errors";
export { RateLimitError } from "./errors";
export type { KeySource, RateLimitOptions, RequestLike, ResponseLike } from "./http/index";
export { clientIp, formatPolicy, formatRateLimit, formatRetryAfter, rateLimit } from "./http/index";
export type { MemoryLimiter, MemoryLimiterOptions } from "./memory";
export { limiter } from "./memory";
export type { Rate, RateInput, RatePeriod } from "./rate";
export { parseRate } from "./rate";
export type {
  FailPolicy,
  IoredisLike,
  NodeRedisLike,
  RedisLimiter,
  RedisLimiterOptions,
  RedisLimiterStats,
  RedisScriptClient,
} from "./redis/index";
export { GCRA_SCRIPT, ioredisAdapter, nodeRedisAdapter, redisLimiter } from "./redis/index";
export type {
  AsyncLimiter,
  Awaitable,
  CheckOptions,
  Limiter,
  LimiterPolicy,
  RateLimitResult,
} from "./types";
export type { RateLimitBinding, WorkersLimiterOptions } from "./workers/index";
export { workersLimiter } from "./workers/index";
