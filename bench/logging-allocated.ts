// Bytes allocated per call, run by logging.bench.ts in a child process with a
// young generation large enough that no collection happens while it counts:
// the heap's growth over the calls is then exactly what they allocated.
// Deterministic, unlike the timings, so it holds on a loaded machine too.
import { createTelemetry, lineSink, log } from "@groundwork/core";
import pino from "pino";

const fields = { user_id: 42, route: "/v1/orders", ok: true, items: 3, region: "eu-west" };
const telemetry = createTelemetry({ serviceName: "bench", logging: { sink: lineSink(() => {}) } });
const peer = pino({ base: { service: "bench" } }, { write(_line: string) {} });

const cases: [string, () => unknown, () => unknown][] = [
  [
    "fork with 2 fields + one log call",
    () => telemetry.context.forkLog({ request_id: "r-1", user_id: 42 }).log.info("done"),
    () => peer.child({ request_id: "r-1", user_id: 42 }).info("done"),
  ],
  [
    "forked/child logger creation",
    () => telemetry.context.forkLog({ request_id: "r-1" }),
    () => peer.child({ request_id: "r-1" }),
  ],
  [
    "JSON log, 5 fields, ambient context logger",
    () => log.info("order placed", fields),
    () => peer.info(fields, "order placed"),
  ],
];

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const results: { last: unknown } = { last: undefined };

function bytesPerCall(fn: () => unknown, calls = 100_000): number {
  for (let i = 0; i < 200_000; i++) results.last = fn();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < calls; i++) results.last = fn();
  return (process.memoryUsage().heapUsed - before) / calls;
}

await telemetry.run(async () => {
  console.log("\nbytes allocated per call (100,000 calls, no collection in between):");
  console.log("| case | groundwork | pino |\n| --- | ---: | ---: |");
  for (const [name, ours, theirs] of cases) {
    console.log(
      `| ${name} | ${bytesPerCall(ours).toFixed(0)} | ${bytesPerCall(theirs).toFixed(0)} |`,
    );
  }
});
