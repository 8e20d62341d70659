import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTelemetry } from "../telemetry";
import { addSpanEvent, setSpanAttributes } from "../tracing/helpers";
import { span } from "../tracing/span";
import { log } from "./logger";
import type { LogFormat } from "./options";
import { type LogSink, lineSink, memorySink } from "./sinks";

// Every value kind, in every output, must lose the secret. Each kind goes
// through a different redaction check, so removing any one of them fails a
// cell of this matrix.

const SECRET = "hunter2";

function withSecretProp(): Error {
  return Object.assign(new Error("login failed"), { password: SECRET, user: "ann" });
}

const KINDS: Record<string, () => Record<string, unknown>> = {
  "a top-level field": () => ({ Password: SECRET }),
  "a nested object": () => ({ req: { body: { password: SECRET } } }),
  "an object inside an array": () => ({ list: [{ password: SECRET }] }),
  "a Map entry": () => ({ m: new Map([["password", SECRET]]) }),
  "an Error's own property": () => ({ err: withSecretProp() }),
  "an Error passed as the fields argument": () => withSecretProp() as never,
  "an Error cause's own property": () => ({
    err: new Error("outer", { cause: withSecretProp() }),
  }),
};

type Output = "json" | "text" | "record";

function logOnce(output: Output, fields: Record<string, unknown>): string {
  const out: string[] = [];
  const sink: LogSink = output === "record" ? memorySink() : lineSink((l) => out.push(l));
  const telemetry = createTelemetry({
    serviceName: "redact",
    logging: {
      sink,
      redactKeys: ["password"],
      ...(output === "record" ? {} : { format: output as LogFormat }),
    },
    tracing: false,
  });
  telemetry.log.info("login", fields);
  if (output === "record") return JSON.stringify((sink as ReturnType<typeof memorySink>).records());
  return out.join("\n");
}

describe("redaction in every output and every value kind", () => {
  for (const output of ["json", "text", "record"] as const) {
    for (const [kind, make] of Object.entries(KINDS)) {
      it(`${output}: ${kind}`, () => {
        const written = logOnce(output, make());
        expect(written).toContain("[REDACTED]");
        expect(written).not.toContain(SECRET);
      });
    }
  }

  it("text: a field added to the log", () => {
    const out: string[] = [];
    const telemetry = createTelemetry({
      serviceName: "redact",
      logging: { sink: lineSink((l) => out.push(l)), format: "text", redactKeys: ["password"] },
      tracing: false,
    });
    telemetry.log.addFields({ password: SECRET });
    telemetry.log.info("x");
    expect(out[0]).toContain("password=[REDACTED]");
  });
});

describe("redaction on spans", () => {
  function setup() {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry({
      serviceName: "redact",
      logging: { sink: memorySink(), redactKeys: ["password"] },
      tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] },
    });
    const finished = () => JSON.stringify(exporter.getFinishedSpans()[0]?.attributes);
    const events = () => JSON.stringify(exporter.getFinishedSpans()[0]?.events);
    return { telemetry, finished, events };
  }

  for (const [kind, make] of Object.entries(KINDS)) {
    it(`log records as span events: ${kind}`, () => {
      const t = setup();
      t.telemetry.run(() => span("s", () => log.info("login", make())));
      expect(t.events()).toContain("[REDACTED]");
      expect(t.events()).not.toContain(SECRET);
    });
  }

  it("setSpanAttributes", () => {
    const t = setup();
    t.telemetry.run(() => span("s", () => setSpanAttributes({ PASSWORD: SECRET, user: "ann" })));
    expect(t.finished()).toBe('{"PASSWORD":"[REDACTED]","user":"ann"}');
  });

  it("span options attributes", () => {
    const t = setup();
    t.telemetry.run(() => span("s", { attributes: { password: SECRET } }, () => undefined));
    expect(t.finished()).toBe('{"password":"[REDACTED]"}');
  });

  it("addSpanEvent attributes", () => {
    const t = setup();
    t.telemetry.run(() => span("s", () => addSpanEvent("e", { password: SECRET })));
    expect(t.events()).toContain("[REDACTED]");
    expect(t.events()).not.toContain(SECRET);
  });
});
