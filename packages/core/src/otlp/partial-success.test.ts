import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import type { OtlpFetch } from "./fetch";
import { decodePartialSuccess, isPartialSuccess, partialSuccessError } from "./partial-success";
import { createOtlpHttpSender, MAX_RESPONSE_BYTES } from "./sender";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const fromJson = (value: unknown) =>
  decodePartialSuccess(json(value), JsonTraceSerializer.deserializeResponse, "rejectedSpans");

describe("decodePartialSuccess", () => {
  it("reads protobuf: rejected_spans (field 1) and error_message (field 2) inside field 1", () => {
    // ExportTraceServiceResponse { partial_success { rejected_spans: 3, error_message: "no" } }
    const body = new Uint8Array([0x0a, 0x06, 0x08, 0x03, 0x12, 0x02, 0x6e, 0x6f]);
    expect(
      decodePartialSuccess(body, ProtobufTraceSerializer.deserializeResponse, "rejectedSpans"),
    ).toEqual({ rejected: 3, message: "no" });
  });

  it("reads JSON, where int64 counts are decimal strings", () => {
    expect(fromJson({ partialSuccess: { rejectedSpans: "7", errorMessage: "bad" } })).toEqual({
      rejected: 7,
      message: "bad",
    });
    expect(fromJson({ partialSuccess: { rejectedSpans: 2 } })).toEqual({
      rejected: 2,
      message: "",
    });
  });

  it("keeps a warning with nothing rejected", () => {
    expect(fromJson({ partialSuccess: { errorMessage: "slow down" } })).toEqual({
      rejected: 0,
      message: "slow down",
    });
  });

  it("is undefined for a full success", () => {
    const deserialize = ProtobufTraceSerializer.deserializeResponse;
    expect(decodePartialSuccess(undefined, deserialize, "rejectedSpans")).toBeUndefined();
    expect(decodePartialSuccess(new Uint8Array(0), deserialize, "rejectedSpans")).toBeUndefined();
    expect(fromJson({})).toBeUndefined();
    expect(fromJson({ partialSuccess: {} })).toBeUndefined();
    expect(fromJson({ partialSuccess: { rejectedSpans: "0", errorMessage: "" } })).toBeUndefined();
  });

  it("reads the signal's own counter only", () => {
    expect(fromJson({ partialSuccess: { rejectedDataPoints: "4" } })).toBeUndefined();
  });

  it("never throws on hostile bodies", () => {
    const throwing = () => {
      throw new Error("cannot decode");
    };
    expect(decodePartialSuccess(new Uint8Array([1]), throwing, "rejectedSpans")).toBeUndefined();
    expect(
      decodePartialSuccess(
        new Uint8Array([0x0a, 0xff, 0xff]),
        ProtobufTraceSerializer.deserializeResponse,
        "rejectedSpans",
      ),
    ).toBeUndefined();
    for (const value of [null, 3, "x", [], { partialSuccess: 5 }, { partialSuccess: null }]) {
      expect(fromJson(value)).toBeUndefined();
    }
    for (const count of ["-3", "abc", "1e400", -1, Number.NaN, "99999999999999999999"]) {
      expect(fromJson({ partialSuccess: { rejectedSpans: count } })).toBeUndefined();
    }
  });
});

describe("isPartialSuccess", () => {
  it("recognises the error by its code", () => {
    expect(isPartialSuccess(partialSuccessError({ rejected: 1, message: "" }))).toBe(true);
    const lookalike = Object.assign(new Error("x"), {
      code: "ERR_OTLP_PARTIAL_SUCCESS",
      rejected: 2,
    });
    expect(isPartialSuccess(lookalike)).toBe(true);
    expect(isPartialSuccess(new Error("x"))).toBe(false);
    expect(isPartialSuccess({ code: "ERR_OTLP_PARTIAL_SUCCESS", rejected: 1 })).toBe(false);
    expect(isPartialSuccess(undefined)).toBe(false);
  });
});

describe("the sender keeps an accepted response's body", () => {
  const answer =
    (body: Uint8Array | string | null, init?: ResponseInit): OtlpFetch =>
    async () =>
      new Response(body, init);

  it("from this runtime's Response", async () => {
    const sender = createOtlpHttpSender({
      endpoint: "http://collector.invalid/v1/traces",
      fetch: answer(new Uint8Array([0x0a, 0x02, 0x08, 0x01])),
    });
    const outcome = await sender.send("{}");
    expect(outcome.ok && [...(outcome.response ?? [])]).toEqual([0x0a, 0x02, 0x08, 0x01]);
  });

  it("but not an empty one, nor one of a failed attempt", async () => {
    const empty = createOtlpHttpSender({
      endpoint: "http://collector.invalid/v1/traces",
      fetch: answer(null),
    });
    expect(await empty.send("{}")).toEqual({ ok: true, attempts: 1 });
    const rejected = createOtlpHttpSender({
      endpoint: "http://collector.invalid/v1/traces",
      fetch: answer("bad request", { status: 400 }),
    });
    expect(await rejected.send("{}")).not.toHaveProperty("response");
  });
});

describe("an accepted response that declares its length", () => {
  const declared =
    (length: number, bytes: Uint8Array): OtlpFetch =>
    async () => ({
      status: 200,
      headers: { get: (name: string) => (name === "content-length" ? String(length) : null) },
      // Read in one call: the reader is not used.
      body: {
        cancel: async () => undefined,
        getReader: () => {
          throw new Error("the reader is not needed");
        },
      },
      arrayBuffer: async () => bytes.slice().buffer,
    });

  it("is read in one call", async () => {
    const sender = createOtlpHttpSender({
      endpoint: "http://collector.invalid/v1/traces",
      fetch: declared(4, new Uint8Array([0x0a, 0x02, 0x08, 0x01])),
    });
    const outcome = await sender.send("{}");
    expect(outcome.ok && [...(outcome.response ?? [])]).toEqual([0x0a, 0x02, 0x08, 0x01]);
  });

  it("is not kept when it is larger than the limit after all", async () => {
    const sender = createOtlpHttpSender({
      endpoint: "http://collector.invalid/v1/traces",
      fetch: declared(4, new Uint8Array(MAX_RESPONSE_BYTES + 1)),
    });
    expect(await sender.send("{}")).toEqual({ ok: true, attempts: 1 });
  });
});

describe("an accepted response whose body misbehaves", () => {
  it("is still one successful attempt", async () => {
    const bodies = [
      {
        cancel: () => {
          throw new Error("cancel throws");
        },
      },
      {
        cancel: async () => undefined,
        getReader: () => {
          throw new Error("locked");
        },
      },
      {
        cancel: async () => undefined,
        getReader: () => ({
          read: async () => {
            throw new Error("reset by peer");
          },
          cancel: async () => undefined,
        }),
      },
    ];
    for (const body of bodies) {
      const sender = createOtlpHttpSender({
        endpoint: "http://collector.invalid/v1/traces",
        fetch: async () => ({ status: 200, headers: { get: () => null }, body }),
      });
      expect(await sender.send("{}")).toEqual({ ok: true, attempts: 1 });
    }
  });
});
