import type { Attributes } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { memorySink } from "../logging/sinks";
import { injectHeaders } from "../propagation/w3c";
import { createTelemetry } from "../telemetry";
import { addSpanEvent, setSpanAttributes } from "./helpers";
import { type GroundworkSpanOptions, span } from "./span";
import { startTrace, withForkedTrace } from "./traces";

function setup() {
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: "hostile",
    logging: { sink: memorySink(), redactKeys: ["password"] },
    tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] },
  });
  const finished = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);
  const invalid = () => telemetry.stats().logs.invalidInput;
  return { telemetry, finished, invalid };
}

function throwingProxy(): Attributes {
  return new Proxy({} as Attributes, {
    ownKeys() {
      throw new Error("ownKeys trap");
    },
    get() {
      throw new Error("get trap");
    },
  });
}

function revokedArray(): Attributes {
  const { proxy, revoke } = Proxy.revocable<string[]>([], {});
  revoke();
  return { ok: 1, bad: proxy as unknown as string[] };
}

function throwingIndex(): Attributes {
  const arr = ["a", "b"];
  Object.defineProperty(arr, 1, {
    get() {
      throw new Error("index getter");
    },
  });
  return { ok: 1, bad: arr };
}

describe("span helpers with hostile arguments", () => {
  it("setSpanAttributes never throws and counts what it leaves out", () => {
    const t = setup();
    t.telemetry.run(() =>
      span("s", () => {
        expect(() => setSpanAttributes(throwingProxy())).not.toThrow();
        expect(() => setSpanAttributes(revokedArray())).not.toThrow();
        expect(() => setSpanAttributes(throwingIndex())).not.toThrow();
        expect(() => setSpanAttributes("abc" as unknown as Attributes)).not.toThrow();
      }),
    );
    expect(t.finished("s")?.attributes).toEqual({ ok: 1 });
    expect(t.invalid()).toBe(4);
  });

  it("addSpanEvent never throws and keeps the event", () => {
    const t = setup();
    t.telemetry.run(() =>
      span("s", () => {
        expect(() => addSpanEvent("e1", throwingProxy())).not.toThrow();
        expect(() => addSpanEvent("e2", revokedArray())).not.toThrow();
        expect(() => addSpanEvent("e3", throwingIndex(), "soon" as never)).not.toThrow();
      }),
    );
    const events = t.finished("s")?.events ?? [];
    expect(events.map((e) => e.name)).toEqual(["e1", "e2", "e3"]);
    expect(events[1]?.attributes).toEqual({ ok: 1 });
    expect(t.invalid()).toBe(4);
  });

  it("span(name, proxyOptions, fn) runs fn in a span and counts the options", () => {
    const t = setup();
    const options = new Proxy({} as GroundworkSpanOptions, {
      get() {
        throw new Error("get trap");
      },
    });
    const value = t.telemetry.run(() => span("p", options, () => 7));
    expect(value).toBe(7);
    expect(t.finished("p")).toBeDefined();
    expect(t.invalid()).toBeGreaterThan(0);
  });

  it("span options with hostile attributes and links still start the span", () => {
    const t = setup();
    const value = t.telemetry.run(() =>
      span(
        "q",
        { attributes: throwingIndex(), links: revokedArray().bad as never, kind: "x" as never },
        () => 1,
      ),
    );
    expect(value).toBe(1);
    expect(t.finished("q")?.attributes).toEqual({ ok: 1 });
  });

  it("startTrace with a parent that is not a context counts it and starts in the active one", () => {
    const t = setup();
    t.telemetry.run(() =>
      startTrace("fallback", { parent: "nope" as never }, () => span("step", () => undefined)),
    );
    expect(t.finished("step")?.parentSpanContext?.spanId).toBe(
      t.finished("fallback")?.spanContext().spanId,
    );
    expect(t.invalid()).toBe(1);
  });

  it("span without a function is a counted no-op", () => {
    const t = setup();
    expect(() => t.telemetry.run(() => span("n", {}, undefined as never))).not.toThrow();
    expect(t.invalid()).toBe(1);
  });
});

describe("injectHeaders with hostile carriers", () => {
  it("never throws, writes what it can and counts each carrier it could not write", () => {
    const t = setup();
    const throwingSetter = {
      set: () => {
        throw new Error("set");
      },
    };
    const trap = new Proxy({} as Record<string, string>, {
      get() {
        throw new Error("get trap");
      },
      set() {
        throw new Error("set trap");
      },
    });
    const frozen = Object.freeze({}) as Record<string, string>;
    const plain: Record<string, string> = {};
    t.telemetry.run(() =>
      span("s", () => {
        expect(() => injectHeaders(throwingSetter)).not.toThrow();
        expect(() => injectHeaders(trap)).not.toThrow();
        expect(injectHeaders(null as unknown as Record<string, string>)).toBeNull();
        // Frozen: strict-mode writes throw; the object comes back unchanged.
        expect(injectHeaders(frozen)).toEqual({});
        expect(injectHeaders(plain).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
      }),
    );
    expect(t.invalid()).toBe(4);
  });
});

describe("trace starters with hostile options", () => {
  it("startTrace and withForkedTrace never throw on a throwing Proxy as options, and count it", () => {
    const t = setup();
    const options = throwingProxy() as never;
    const ran: string[] = [];
    t.telemetry.run(() => {
      expect(() => startTrace("root", options, () => ran.push("root"))).not.toThrow();
      span("parent", () => {
        expect(() => withForkedTrace("fork", options, () => ran.push("fork"))).not.toThrow();
      });
    });
    expect(ran).toEqual(["root", "fork"]);
    expect(t.finished("root")).toBeDefined();
    expect(t.finished("fork")?.links).toHaveLength(1);
    expect(t.invalid()).toBeGreaterThanOrEqual(2);
  });
});
