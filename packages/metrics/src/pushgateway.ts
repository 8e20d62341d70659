import { MetricsError } from "./errors";
import { checkLabelNames } from "./internal/validate";
import { defaultRegistry, PROMETHEUS_CONTENT_TYPE, type Registry } from "./registry";

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
 * @example
 * ```ts
 * const gateway = createPushgatewayClient({ url: "http://127.0.0.1:9091", job: "nightly-export" });
 * const outcome = await gateway.push();
 * if (!outcome.ok) console.error(outcome.status, outcome.detail);
 * ```
 */
export function createPushgatewayClient(options: PushgatewayOptions): PushgatewayClient {
  if (typeof options.job !== "string" || options.job === "") {
    throw new MetricsError("ERR_METRIC_OPTIONS", "Pushgateway job must be a non-empty string");
  }
  const grouping = options.grouping ?? {};
  checkLabelNames("Pushgateway grouping", Object.keys(grouping), ["job"]);
  let path = `/metrics/${segment("job", options.job)}`;
  for (const [name, value] of Object.entries(grouping)) path += `/${segment(name, value)}`;
  const url = options.url.replace(/\/+$/, "") + path;
  const registry = options.registry ?? defaultRegistry;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function request(method: "PUT" | "POST" | "DELETE"): Promise<PushgatewayOutcome> {
    const fetchImpl = options.fetch ?? (globalThis as { fetch?: PushgatewayFetch }).fetch;
    if (fetchImpl === undefined) return { ok: false, detail: "no fetch in this runtime" };
    const g = globalThis as unknown as {
      AbortController: new () => { signal: unknown; abort(): void };
      setTimeout(fn: () => void, ms: number): unknown;
      clearTimeout(handle: unknown): void;
    };
    const controller = new g.AbortController();
    const timer = g.setTimeout(() => controller.abort(), timeoutMs);
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
        signal: controller.signal,
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300)
        return { ok: true, status: response.status };
      return { ok: false, status: response.status, detail: text.trim() };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      g.clearTimeout(timer);
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
  const Encoder = (
    globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }
  ).TextEncoder;
  const bytes = new Encoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const btoa = (globalThis as unknown as { btoa(data: string): string }).btoa;
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
}
