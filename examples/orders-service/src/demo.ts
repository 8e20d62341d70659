import type { TraceJson, TraceSpanJson } from "@groundwork/node";
import type { ServiceUrls } from "./service";

const out = (text = "") => process.stdout.write(`${text}\n`);

function renderSpan(span: TraceSpanJson, prefix: string, last: boolean, lines: string[]): void {
  const branch = prefix === "" ? "" : last ? "└─ " : "├─ ";
  const status = span.status === "UNSET" ? "" : ` ${span.status}`;
  const links = span.links.length > 0 ? ` (links: ${span.links.length})` : "";
  lines.push(
    `${prefix}${branch}${span.name}  ${span.kind} ${span.duration_ms.toFixed(1)}ms${status}${links}`,
  );
  const childPrefix = prefix === "" ? "   " : `${prefix}${last ? "   " : "│  "}`;
  span.children.forEach((child, i) => {
    renderSpan(child, childPrefix, i === span.children.length - 1, lines);
  });
}

/**
 * Renders a trace from `/debug/traces` as an indented tree, one span a line.
 *
 * @param trace - a trace as the telemetry server returns it
 * @returns the lines
 * @example
 * ```ts
 * renderTrace(trace).join("\n"); // "POST /orders  SERVER 21.4ms\n   ├─ GET  CLIENT 3.1ms …"
 * ```
 */
export function renderTrace(trace: TraceJson): string[] {
  const lines = [`trace ${trace.trace_id}`];
  for (const root of trace.spans) renderSpan(root, "", true, lines);
  return lines;
}

async function call(method: string, url: string, body?: unknown): Promise<Response> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-client-id": "demo" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  out(`  ${method} ${new URL(url).pathname} → ${response.status}`);
  return response;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Demo mode: prints where everything listens, sends a few requests to the
 * service (their access log lines and spans print as they happen), then
 * shows the trace tree of an order from `/debug/traces` and an excerpt of
 * `/metrics`. The service keeps serving afterwards.
 *
 * @param urls - where the service listens
 * @returns when the demo output is printed
 * @example
 * ```ts
 * if (settings.demo) await runDemo(await startService(ctx));
 * ```
 */
export async function runDemo(urls: ServiceUrls): Promise<void> {
  // Let the start-up log lines reach the terminal first.
  await sleep(50);
  out();
  out("Groundwork orders service — demo mode");
  out(`  orders API         ${urls.api}/orders`);
  for (const [name, url] of Object.entries(urls.endpoints)) {
    out(`  endpoint ${name.padEnd(9)} ${url}`);
  }
  if (urls.telemetry !== undefined) {
    out(
      `  telemetry server   ${urls.telemetry}/health  /metrics  /debug/traces  /debug/heap  /debug/cpu`,
    );
  }
  out();
  out("Sending a few requests (access log lines and console spans follow):");
  const created = await call("POST", `${urls.api}/orders`, { item: "widget", quantity: 2 });
  const order = (await created.json()) as { id?: string };
  await call("GET", `${urls.api}/orders/${order.id ?? "unknown"}`);
  await (await call("POST", `${urls.api}/orders`, { item: "bolt", quantity: 1 })).body?.cancel();
  await (await call("POST", `${urls.api}/orders`, "{not json")).body?.cancel();
  await (await call("GET", `${urls.api}/orders/does-not-exist`)).body?.cancel();
  const hello = urls.endpoints.hello;
  if (hello !== undefined) await (await call("GET", `${hello}/teapot`)).body?.cancel();

  // Let the background confirmation and the batch of console spans finish.
  await sleep(400);
  if (urls.telemetry !== undefined) {
    const { traces } = (await (await fetch(`${urls.telemetry}/debug/traces`)).json()) as {
      traces: TraceJson[];
    };
    const orderTrace = traces.find((t) =>
      t.spans.some(
        (s) => s.name === "POST /orders" && s.attributes["http.response.status_code"] === 201,
      ),
    );
    const forked = traces.find((t) => t.name === "send confirmation");
    if (orderTrace !== undefined) {
      out();
      out(`Trace of the created order (${urls.telemetry}/debug/traces):`);
      for (const line of renderTrace(orderTrace)) out(`  ${line}`);
    }
    if (forked !== undefined) {
      out("Its background job, in a forked trace linked to the request:");
      for (const line of renderTrace(forked)) out(`  ${line}`);
    }
    const metrics = await (await fetch(`${urls.telemetry}/metrics`)).text();
    out();
    out(`Metrics excerpt (${urls.telemetry}/metrics):`);
    for (const line of metrics.split("\n")) {
      if (
        /^\w+_(http_server_requests_total|build_info|log_events_total\{level="(info|warn)"\}|process_resident_memory_bytes|nodejs_eventloop_lag_p99_seconds)/.test(
          line,
        )
      ) {
        out(`  ${line}`);
      }
    }
  }
  out();
  out("Try it yourself:");
  out(
    `  curl -si ${urls.api}/orders -H 'content-type: application/json' -d '{"item": "gadget", "quantity": 1}'`,
  );
  out("Serving until Ctrl-C.");
  out();
}
