import { z } from "zod";
import { REDACTED } from "../errors";
import { INDIRECT_KEY } from "../internal/json-schema";
import { kindMeta } from "./kinds";

/**
 * A secret string. Printing, logging, `JSON.stringify` and YAML dumps show
 * `[REDACTED]`; only {@link Secret.reveal} returns the value.
 *
 * @example
 * ```ts
 * const token = new Secret("s3cr3t");
 * `${token}`;            // "[REDACTED]"
 * token.reveal();        // "s3cr3t"
 * ```
 */
export class Secret {
  readonly #value: string;

  /** @param value - the secret text */
  constructor(value: string) {
    this.#value = value;
  }

  /**
   * The secret text. Call it where the value is used, never where it is logged.
   *
   * @returns the value
   * @example
   * ```ts
   * headers.set("authorization", `Bearer ${settings.token.reveal()}`);
   * ```
   */
  reveal(): string {
    return this.#value;
  }

  /** @returns `"[REDACTED]"` */
  toString(): string {
    return REDACTED;
  }

  /** @returns `"[REDACTED]"`, so `JSON.stringify` never leaks the value */
  toJSON(): string {
    return REDACTED;
  }

  /** Node's `util.inspect` (and so `console.log`) hook. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * A secret setting: a string in YAML, a {@link Secret} in code. The value may be
 * `env:NAME` or `file:/path` to read it at load time (`literal:` keeps a value
 * that happens to start with those prefixes).
 *
 * @returns a zod schema whose output is a {@link Secret}
 * @example
 * ```ts
 * const schema = z.object({ api_key: secret().optional().describe("API key.") });
 * ```
 */
export function secret() {
  return z
    .string()
    .transform((value) => new Secret(value))
    .meta(kindMeta("secret", true));
}

/**
 * Marks a zod schema so that its string value may be written as `env:NAME` or
 * `file:/path` and is read at load time.
 *
 * @param schema - any zod schema whose input is a string
 * @returns the same schema with the indirection marker in its metadata
 * @example
 * ```ts
 * const schema = z.object({ dsn: indirect(z.string()).default("env:DATABASE_URL") });
 * ```
 */
export function indirect<S extends z.ZodType>(schema: S): S {
  const meta = (schema.meta() ?? {}) as Record<string, unknown>;
  return schema.meta({ ...meta, [INDIRECT_KEY]: true }) as S;
}
