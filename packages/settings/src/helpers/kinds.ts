import { INDIRECT_KEY, KIND_KEY } from "../internal/json-schema";

/** Metadata attached to a helper's JSON Schema so generated YAML and errors know its kind. */
export function kindMeta(kind: string, indirect = false): Record<string, unknown> {
  return indirect ? { [KIND_KEY]: kind, [INDIRECT_KEY]: true } : { [KIND_KEY]: kind };
}

/** How each helper kind is described in "expected …" error messages. */
export const KIND_EXPECTED: Readonly<Record<string, string>> = {
  duration: 'a duration such as "250ms", "30s", "1h30m" or a number of milliseconds',
  "byte-size": 'a size such as "512KiB", "10MiB", "1GB" or a number of bytes',
  "socket-addr": 'a socket address such as "127.0.0.1:8080" or "[::1]:0"',
  url: "an absolute URL",
  secret: "a string",
  rate: 'a rate such as "10/s", "600/min", "5000/hour" or { per: second, count: 10 }',
  "log-level": "a log level: trace, debug, info, warn, error or fatal (in any case)",
};
