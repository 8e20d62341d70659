// An object shaped like the Groundwork Worker's `START` entry, for the bare Workers that write
// one by hand.

/** The entry of a request that took `durationMs` and answered `status`. */
export function startEntry(method: string, status: string, durationMs: number) {
  return {
    time: new Date().toISOString(),
    level: "info",
    msg: "START",
    type: "meta",
    api: "bench",
    resource: "/",
    method,
    status,
    outcome: "ok",
    duration_ms: durationMs,
    logs: 0,
    trace_id: "0af7651916cd43dd8448eb211c80319c",
    span_id: "b7ad6b7169203331",
    service: "bench",
  };
}
