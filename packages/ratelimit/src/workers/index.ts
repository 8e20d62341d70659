export type { RateLimitBinding, WorkersLimiterOptions } from "./limiter";
export { createWorkersLimiter } from "./limiter";
