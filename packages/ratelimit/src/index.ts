export type { RateLimitErrorCode } from "./errors";
export { RateLimitError } from "./errors";
export type { MemoryLimiter, MemoryLimiterOptions } from "./memory";
export { createLimiter } from "./memory";
export type { Rate, RateInput, RatePeriod } from "./rate";
export { parseRate } from "./rate";
export type {
  AsyncLimiter,
  Awaitable,
  CheckOptions,
  Limiter,
  LimiterPolicy,
  RateLimitResult,
} from "./types";
