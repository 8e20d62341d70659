// Logging throughput against pino, in one process run.
import { createLogger, createTelemetry, lineSink, log } from "@groundwork/core";
import pino from "pino";
import { compare } from "./compare";

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
      ours: () => telemetry.context.withForkedLog({ request_id: "r-1" }),
      peer: () => peer.child({ request_id: "r-1" }),
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
