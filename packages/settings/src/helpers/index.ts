export { byteSize, formatByteSize, parseByteSize } from "./byte-size";
export { duration, formatDuration, parseDuration } from "./duration";
export { rate } from "./rate";
export { indirect, Secret, secret } from "./secret";
export type { SocketAddr } from "./socket-addr";
export { parseSocketAddr, socketAddr } from "./socket-addr";
export type { UrlOptions } from "./url";
export { url } from "./url";
