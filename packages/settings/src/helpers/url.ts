import { runtimeGlobal } from "@groundwork/platform";
import { z } from "zod";
import { SettingsError } from "../errors";
import { kindMeta } from "./kinds";

/** Options of {@link url}. */
export interface UrlOptions {
  /** Accepted schemes, with the trailing colon. Default `["http:", "https:"]`. */
  readonly protocols?: readonly string[];
}

type UrlConstructor = new (input: string) => { readonly protocol: string };

/**
 * An absolute URL setting; the value stays a string.
 *
 * @param options - `protocols` (default `["http:", "https:"]`)
 * @returns a zod string schema
 * @throws {@link SettingsError} `ERR_INVALID_OPTION` when `protocols` is empty or a scheme lacks its colon
 * @example
 * ```ts
 * const schema = z.object({ endpoint: url().default("http://localhost:4318/v1/traces") });
 * ```
 */
export function url(options: UrlOptions = {}) {
  const protocols = options.protocols ?? ["http:", "https:"];
  if (protocols.length === 0 || !protocols.every((p) => /^[a-z][a-z0-9+.-]*:$/i.test(p))) {
    throw new SettingsError(
      [
        {
          code: "invalid",
          path: [],
          message: `url() protocols must be schemes with their colon, such as "https:", got ${JSON.stringify(protocols)}`,
        },
      ],
      { code: "ERR_INVALID_OPTION" },
    );
  }
  const URLCtor = runtimeGlobal<UrlConstructor>("URL")!;
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
