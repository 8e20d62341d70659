// Logging throughput against pino, in one process run.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLogger, createTelemetry, lineSink, log } from "@groundwork/core";
import pino from "pino";
import { compare, measureAllocation } from "./compare";

const noopDestination = { write(_line: string) {} };
const fields = { user_id: 42, route: "/v1/orders", ok: true, items: 3, region: "eu-west" };

const ours = createLogger({ sink: lineSink(() => {}), serviceName: "bench" });
const oursDisabled = createLogger({ level: "info", sink: lineSink(() => {}) });
const telemetry = createTelemetry({
  serviceName: "bench",
  logging: { sink: lineSink(() => {}) },
});
const peer = pino({ base: { service: "bench" } }, noopDestination);

await telemetry.run(() =>
  compare("Logging", "pino", [
    {
      name: "JSON log, 5 fields, null sink",
      ours: () => ours.info("order placed", fields),
      peer: () => peer.info(fields, "order placed"),
      batch: 100,
    },
    {
      name: "JSON log, 5 fields, ambient context logger",
      ours: () => log.info("order placed", fields),
      peer: () => peer.info(fields, "order placed"),
      batch: 100,
    },
    {
      name: "JSON log, no fields",
      ours: () => ours.info("order placed"),
      peer: () => peer.info("order placed"),
      batch: 100,
    },
    {
      name: "forked/child logger creation",
      ours: () => telemetry.context.forkLog({ request_id: "r-1" }),
      peer: () => peer.child({ request_id: "r-1" }),
      batch: 100,
    },
    {
      // What a request pays: the fork and the one record it writes.
      name: "fork with 2 fields + one log call",
      ours: () => telemetry.context.forkLog({ request_id: "r-1", user_id: 42 }).log.info("done"),
      peer: () => peer.child({ request_id: "r-1", user_id: 42 }).info("done"),
      batch: 100,
    },
    {
      name: "disabled level (debug at info), bound logger",
      ours: () => oursDisabled.debug("not written", fields),
      peer: () => peer.debug(fields, "not written"),
      batch: 1000,
    },
    {
      name: "disabled level (debug at info), ambient logger",
      ours: () => log.debug("not written", fields),
      peer: () => peer.debug(fields, "not written"),
      batch: 1000,
    },
  ]),
);

// The level check comes before any allocation: with the fields object built
// once, a disabled call must not allocate at all.
const report = (name: string, r: { collections: number; bytesPerCall: number }) =>
  console.log(`  ${name}: ${r.collections} GCs, heap +${r.bytesPerCall.toFixed(2)} bytes/call`);
console.log("\nallocation per disabled call (debug at info) over 2,000,000 calls:");
report("groundwork, bound", await measureAllocation(() => oursDisabled.debug("x", fields)));
await telemetry.run(async () =>
  report("groundwork, ambient", await measureAllocation(() => log.debug("x", fields))),
);
// Once any logger in the process accepts debug, an ambient call looks up the
// current log before its level check; that path must not allocate either.
createLogger({ level: "debug", sink: lineSink(() => {}) });
await telemetry.run(async () =>
  report(
    "groundwork, ambient, context lookup",
    await measureAllocation(() => log.debug("x", fields)),
  ),
);
report("pino", await measureAllocation(() => peer.debug(fields, "x")));

// Bytes allocated per call, counted in a child process whose young generation
// holds every allocation of the run (see logging-allocated.ts).
spawnSync(
  process.execPath,
  [
    "--expose-gc",
    "--max-semi-space-size=256",
    "--min-semi-space-size=256",
    "--import",
    "tsx",
    fileURLToPath(new URL("./logging-allocated.ts", import.meta.url)),
  ],
  { stdio: "inherit" },
);
