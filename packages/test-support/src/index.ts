export type { RedisServer, StartRedisOptions } from "./redis";
export { startRedis } from "./redis";
