import { z } from "zod";
import { kindMeta } from "./kinds";

/** Options of {@link url}. */
export interface UrlOptions {
  /** Accepted schemes, with the trailing colon. Default `["http:", "https:"]`. */
  readonly protocols?: readonly string[];
}

type UrlConstructor = new (input: string) => { readonly protocol: string };
const URLCtor = (globalThis as unknown as { URL: UrlConstructor }).URL;

/**
 * An absolute URL setting; the value stays a string.
 *
 * @param options - `protocols` (default `["http:", "https:"]`)
 * @returns a zod string schema
 * @example
 * ```ts
 * const schema = z.object({ endpoint: url().default("http://127.0.0.1:4318/v1/traces") });
 * ```
 */
export function url(options: UrlOptions = {}) {
  const protocols = options.protocols ?? ["http:", "https:"];
  return z
    .string()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URLCtor(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected an absolute ${protocols.map((p) => p.slice(0, -1)).join(" or ")} URL` },
    )
    .meta({ ...kindMeta("url"), format: "uri" });
}
