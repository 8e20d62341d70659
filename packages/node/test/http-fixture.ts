import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { createTelemetry, type LogRecord, memorySink, type Telemetry } from "@groundwork/core";
import { createRegistry, type Registry } from "@groundwork/metrics";
import type { OtlpReceiver, ReceivedSpan } from "@groundwork/test-harness";

export const REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
export const REMOTE_SPAN = "00f067aa0ba902b7";

/** A telemetry instance logging to memory and, with a receiver, exporting spans to it. */
export interface TestSetup {
  telemetry: Telemetry;
  registry: Registry;
  logs(): readonly LogRecord[];
  /** Access log lines only. */
  accessLogs(): readonly LogRecord[];
  /** Flushes the exporter and returns what the receiver got. */
  spans(): Promise<ReceivedSpan[]>;
}

export function setup(
  receiver?: OtlpReceiver,
  options: { samplingRatio?: number; endpoint?: string } = {},
): TestSetup {
  const sink = memorySink();
  const endpoint = options.endpoint ?? receiver?.endpoint("traces");
  const telemetry = createTelemetry({
    serviceName: "shop",
    logging: { sink },
    tracing: {
      ...(options.samplingRatio === undefined ? {} : { samplingRatio: options.samplingRatio }),
      ...(endpoint === undefined
        ? {}
        : {
            exporter: { endpoint, timeoutMs: 2_000, retry: { maxAttempts: 1 } },
            batch: { scheduledDelayMs: 50 },
          }),
    },
  });
  const registry = createRegistry();
  return {
    telemetry,
    registry,
    logs: () => sink.records(),
    accessLogs: () => sink.records().filter((r) => r.msg === "request served"),
    async spans() {
      await telemetry.forceFlush();
      return receiver?.traces() ?? [];
    },
  };
}

/** A response read fully by a plain node:http client. */
export interface RawResponse {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Sends one request with node:http (no fetch on the client side) and reads the whole answer. */
export function send(
  url: string,
  options: RequestOptions & { body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { body, ...rest } = options;
    const req = httpRequest(url, { agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function find(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const s = spans.find((x) => x.name === name);
  if (s === undefined) {
    throw new Error(`span ${name} not received; got ${spans.map((x) => x.name).join(", ")}`);
  }
  return s;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}
