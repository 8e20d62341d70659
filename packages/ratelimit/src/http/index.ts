export { formatPolicy, formatRateLimit, formatRetryAfter } from "./headers";
export type { KeySource, RateLimitOptions, RequestLike, ResponseLike } from "./middleware";
export { clientIp, rateLimit } from "./middleware";
