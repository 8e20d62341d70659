import {
  defaultRegistry,
  MetricsError,
  PROMETHEUS_CONTENT_TYPE,
  type Registry,
} from "@groundwork/metrics";
import { clearTimer, runtimeGlobal, setUnrefTimeout } from "@groundwork/platform";

/** The `fetch` the Pushgateway client calls; the runtime's global one by default. */
export type PushgatewayFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: unknown },
) => Promise<{ status: number; text(): Promise<string> }>;

/** Options of {@link createPushgatewayClient}. */
export interface PushgatewayOptions {
  /** Base URL of the Pushgateway, e.g. `http://127.0.0.1:9091`. Required. */
  url: string;
  /** The `job` grouping label. Required. */
  job: string;
  /** More grouping labels (`instance`, …). Default none. */
  grouping?: Readonly<Record<string, string>>;
  /** The registry to push. Default {@link defaultRegistry}. */
  registry?: Registry;
  /** Extra request headers (authentication). Default none. */
  headers?: Readonly<Record<string, string>>;
  /** Abort a request after this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** The `fetch` to use. Default: the global `fetch`. */
  fetch?: PushgatewayFetch;
}

/** The result of a Pushgateway request; requests never reject. */
export interface PushgatewayOutcome {
  /** The gateway answered 2xx. */
  readonly ok: boolean;
  /** The HTTP status, when the gateway answered. */
  readonly status?: number;
  /** Why it failed (the gateway's message, or the network error). */
  readonly detail?: string;
}

/** Talks to a Prometheus Pushgateway for one grouping key. */
export interface PushgatewayClient {
  /** PUT: replaces every metric of the group with the registry's. */
  push(): Promise<PushgatewayOutcome>;
  /** POST: replaces only the metrics with the same names, keeps the group's others. */
  pushAdd(): Promise<PushgatewayOutcome>;
  /** DELETE: removes the group. */
  delete(): Promise<PushgatewayOutcome>;
}

const PLAIN = /^[A-Za-z0-9._~-]+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type AbortControllerConstructor = new () => { readonly signal: unknown; abort(): void };

/**
 * Creates a client that pushes a registry to a Prometheus Pushgateway (or a
 * compatible endpoint) in the text format, for batch jobs that end before a
 * scrape could reach them. Grouping label values that are not plain URL-safe
 * text are sent base64url-encoded, as the Pushgateway specifies.
 *
 * @param options - `url` and `job` (required), `grouping` (default none),
 *   `registry` (default {@link defaultRegistry}), `headers`, `timeoutMs`
 *   (default 10 000), `fetch`
 * @returns `push()`, `pushAdd()` and `delete()`, which never reject
 * @throws MetricsError `ERR_INVALID_OPTION` for invalid options (a `url` that
 *   is not http(s), an empty `job`, a bad grouping label name, a timeout that
 *   is not a positive finite number, a `fetch` that is not a function)
 * @example
 * ```ts
 * const gateway = createPushgatewayClient({ url: "http://127.0.0.1:9091", job: "nightly-export" });
 * const outcome = await gateway.push();
 * if (!outcome.ok) console.error(outcome.status, outcome.detail);
 * ```
 */
export function createPushgatewayClient(options: PushgatewayOptions): PushgatewayClient {
  if (options === null || typeof options !== "object") invalid("options must be an object");
  if (typeof options.url !== "string" || !/^https?:\/\/[^/]/i.test(options.url)) {
    invalid(`url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (typeof options.job !== "string" || options.job === "") {
    invalid("job must be a non-empty string");
  }
  const grouping = options.grouping ?? {};
  for (const [name, value] of Object.entries(grouping)) {
    if (!LABEL_NAME.test(name) || name.startsWith("__") || name === "job") {
      invalid(`grouping label ${JSON.stringify(name)} is not a valid label name, or is reserved`);
    }
    if (typeof value !== "string") invalid(`grouping label ${name} must have a string value`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs < Infinity)) {
    invalid("timeoutMs must be a positive finite number of milliseconds");
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    invalid("fetch must be a function");
  }
  let path = `/metrics/${segment("job", options.job)}`;
  for (const [name, value] of Object.entries(grouping)) path += `/${segment(name, value)}`;
  const url = options.url.replace(/\/+$/, "") + path;
  const registry = options.registry ?? defaultRegistry;
  if (registry === null || typeof registry !== "object" || typeof registry.collect !== "function") {
    invalid("registry must come from createRegistry()");
  }

  async function request(method: "PUT" | "POST" | "DELETE"): Promise<PushgatewayOutcome> {
    const fetchImpl = options.fetch ?? runtimeGlobal<PushgatewayFetch>("fetch");
    if (fetchImpl === undefined) return { ok: false, detail: "no fetch in this runtime" };
    const Controller = runtimeGlobal<AbortControllerConstructor>("AbortController");
    const controller = Controller === undefined ? undefined : new Controller();
    const timer = setUnrefTimeout(() => controller?.abort(), timeoutMs);
    try {
      const headers: Record<string, string> = { ...options.headers };
      let body: string | undefined;
      if (method !== "DELETE") {
        headers["content-type"] = PROMETHEUS_CONTENT_TYPE;
        body = registry.collect("prometheus");
      }
      const response = await fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(controller === undefined ? {} : { signal: controller.signal }),
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300)
        return { ok: true, status: response.status };
      return { ok: false, status: response.status, detail: text.trim() };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimer(timer);
    }
  }

  return {
    push: () => request("PUT"),
    pushAdd: () => request("POST"),
    delete: () => request("DELETE"),
  };
}

function segment(name: string, value: string): string {
  if (PLAIN.test(value)) return `${name}/${value}`;
  // Empty values and values with "/" cannot be path segments; base64url can.
  return `${name}@base64/${value === "" ? "=" : base64url(value)}`;
}

function base64url(text: string): string {
  // Every supported runtime (Node 20+, workerd, browsers) has both.
  type Encoder = new () => { encode(s: string): Uint8Array };
  const Encoder = runtimeGlobal<Encoder>("TextEncoder") as Encoder;
  const btoa = runtimeGlobal<(data: string) => string>("btoa") as (data: string) => string;
  const bytes = new Encoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
}

function invalid(message: string): never {
  throw new MetricsError("ERR_INVALID_OPTION", `Pushgateway: ${message}`);
}
