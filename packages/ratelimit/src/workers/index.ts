export type { RateLimitBinding, WorkersLimiterOptions } from "./limiter";
export { workersLimiter } from "./limiter";
