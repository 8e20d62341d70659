export type { ClientAddressOptions, ProxyHeader } from "./client-address";
export { clientIp } from "./client-address";
export { formatPolicy, formatRateLimit, formatRetryAfter } from "./headers";
export type { KeySource, RateLimitOptions, RequestLike, ResponseLike } from "./middleware";
export { rateLimit } from "./middleware";
