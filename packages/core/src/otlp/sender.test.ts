import { describe, expect, it } from "vitest";
import { CoreError } from "../errors";
import type { OtlpFetch, OtlpFetchInit } from "./fetch";
import { createOtlpHttpSender, type OtlpHttpSenderOptions } from "./sender";

type Step = number | { status: number; headers?: Record<string, string> } | Error | "hang";

/** A scripted `fetch`: one step per call, the last one repeating; records every call. */
function scriptedFetch(...steps: Step[]) {
  const calls: { url: string; init: OtlpFetchInit; at: number }[] = [];
  const fetch: OtlpFetch = (url, init) => {
    calls.push({ url, init, at: Date.now() });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)] ?? 200;
    if (step instanceof Error) return Promise.reject(step);
    if (step === "hang") {
      return new Promise((_resolve, reject) => {
        init.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
    }
    const { status, headers = {} } = typeof step === "number" ? { status: step } : step;
    return Promise.resolve(new Response(null, { status, headers }));
  };
  return { fetch, calls };
}

const fast = { initialBackoffMs: 1, maxBackoffMs: 5, maxElapsedMs: 5000 };

function sender(fetch: OtlpFetch, options: Partial<OtlpHttpSenderOptions> = {}) {
  return createOtlpHttpSender({
    endpoint: "http://collector.test/v1/traces",
    fetch,
    retry: fast,
    ...options,
  });
}

describe("createOtlpHttpSender", () => {
  it.each([
    ["endpoint", { endpoint: "" }],
    ["endpoint", { endpoint: "collector:4318/v1/traces" }],
    ["protocol", { protocol: "grpc" as OtlpHttpSenderOptions["protocol"] }],
    ["timeoutMs", { timeoutMs: 0 }],
    ["timeoutMs", { timeoutMs: Number.NaN }],
    ["retry.maxAttempts", { retry: { maxAttempts: 0 } }],
    ["retry.initialBackoffMs", { retry: { initialBackoffMs: -1 } }],
    ["retry.maxElapsedMs", { retry: { maxElapsedMs: Number.POSITIVE_INFINITY } }],
  ] as const)(
    "throws ERR_INVALID_OPTION for an invalid %s instead of falling back",
    (name, bad) => {
      const { fetch } = scriptedFetch(200);
      let error: unknown;
      try {
        sender(fetch, bad as Partial<OtlpHttpSenderOptions>);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CoreError);
      expect(error).toMatchObject({ code: "ERR_INVALID_OPTION", name: "CoreError" });
      expect((error as Error).message).toContain(name);
    },
  );

  it("posts the body with the protocol's content type and the configured headers", async () => {
    const { fetch, calls } = scriptedFetch(200);
    const s = sender(fetch, { headers: { "X-Api-Key": "k", "Content-Type": "text/plain" } });
    const body = new Uint8Array([1, 2, 3]);
    expect(await s.send(body)).toEqual({ ok: true, attempts: 1 });
    expect(calls[0]?.url).toBe("http://collector.test/v1/traces");
    expect(calls[0]?.init.method).toBe("POST");
    expect(calls[0]?.init.body).toBe(body);
    expect(calls[0]?.init.headers).toEqual({
      "x-api-key": "k",
      "content-type": "application/x-protobuf",
    });

    const json = scriptedFetch(202);
    await sender(json.fetch, { protocol: "http/json" }).send("{}");
    expect(json.calls[0]?.init.headers["content-type"]).toBe("application/json");
  });

  it("retries 429, 502, 503, 504 and network errors until one succeeds", async () => {
    const { fetch, calls } = scriptedFetch(429, 502, 503, new TypeError("fetch failed"), 504, 200);
    const outcome = await sender(fetch, { retry: { ...fast, maxAttempts: 6 } }).send("x");
    expect(outcome).toEqual({ ok: true, attempts: 6 });
    expect(calls).toHaveLength(6);
  });

  it("does not retry other statuses", async () => {
    for (const status of [400, 401, 403, 404, 413, 500]) {
      const { fetch, calls } = scriptedFetch(status);
      const outcome = await sender(fetch).send("x");
      expect(outcome).toMatchObject({ ok: false, retryable: false, reason: "http_status", status });
      expect(calls).toHaveLength(1);
    }
  });

  it("gives up after maxAttempts, reporting the last failure as retryable", async () => {
    const { fetch, calls } = scriptedFetch(503);
    const outcome = await sender(fetch, { retry: { ...fast, maxAttempts: 3 } }).send("x");
    expect(outcome).toMatchObject({
      ok: false,
      retryable: true,
      reason: "http_status",
      status: 503,
      attempts: 3,
    });
    expect(calls).toHaveLength(3);
  });

  it("reports a network error with its message", async () => {
    const { fetch } = scriptedFetch(
      new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") }),
    );
    const outcome = await sender(fetch, { retry: { ...fast, maxAttempts: 2 } }).send("x");
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: "network", attempts: 2 });
    expect(outcome.ok ? "" : outcome.detail).toContain("ECONNREFUSED");
  });

  it("aborts an attempt after timeoutMs and retries it", async () => {
    const { fetch, calls } = scriptedFetch("hang", 200);
    const started = Date.now();
    const outcome = await sender(fetch, { timeoutMs: 50 }).send("x");
    expect(outcome).toEqual({ ok: true, attempts: 2 });
    expect(calls[0]?.init.signal.aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("reports a timeout when every attempt hangs", async () => {
    const { fetch } = scriptedFetch("hang");
    const outcome = await sender(fetch, { timeoutMs: 20, retry: { ...fast, maxAttempts: 2 } }).send(
      "x",
    );
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: "timeout", attempts: 2 });
  });

  it("waits for Retry-After instead of the backoff", async () => {
    const past = new Date(Date.now() - 60_000).toUTCString();
    const { fetch, calls } = scriptedFetch(
      { status: 503, headers: { "retry-after": "0" } },
      { status: 429, headers: { "retry-after": past } },
      200,
    );
    // A huge backoff proves the (zero) Retry-After delays were used instead.
    const s = sender(fetch, { retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 } });
    const started = Date.now();
    expect(await s.send("x")).toEqual({ ok: true, attempts: 3 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(calls).toHaveLength(3);
  });

  it("never waits past the time budget", async () => {
    const { fetch, calls } = scriptedFetch({ status: 503, headers: { "retry-after": "30" } });
    const started = Date.now();
    // Waiting the 30 s asked for would overrun a 10 s budget: the sender gives up at once
    // instead (the bound leaves a loaded machine seconds of slack, far below either).
    const outcome = await sender(fetch, { retry: { ...fast, maxElapsedMs: 10_000 } }).send("x");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 503, attempts: 1 });
    expect(calls).toHaveLength(1);

    const backoff = scriptedFetch(503);
    const outcome2 = await sender(backoff.fetch, {
      retry: { initialBackoffMs: 80, maxBackoffMs: 80, maxElapsedMs: 200, maxAttempts: 100 },
      random: () => 0.999,
    }).send("x");
    expect(outcome2).toMatchObject({ ok: false, reason: "http_status" });
    expect(backoff.calls.length).toBeLessThanOrEqual(3);
    expect(backoff.calls.at(-1)!.at - backoff.calls[0]!.at).toBeLessThan(200);
  });

  it("stops when the caller aborts", async () => {
    const { fetch } = scriptedFetch("hang");
    const controller = new AbortController();
    const pending = sender(fetch, { timeoutMs: 10_000 }).send("x", controller.signal);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, retryable: false, reason: "aborted" });

    const already = new AbortController();
    already.abort();
    expect(await sender(fetch).send("x", already.signal)).toMatchObject({
      reason: "aborted",
      attempts: 0,
    });
  });

  it("never rejects, even when fetch throws synchronously", async () => {
    const throwing: OtlpFetch = () => {
      throw new Error("boom");
    };
    const outcome = await sender(throwing, { retry: { ...fast, maxAttempts: 2 } }).send("x");
    expect(outcome).toMatchObject({ ok: false, reason: "network", attempts: 2 });
  });

  it("after shutdown, fails sends at once and cuts a pending backoff short", async () => {
    const { fetch, calls } = scriptedFetch(503);
    const s = sender(fetch, {
      retry: { initialBackoffMs: 10_000, maxBackoffMs: 10_000 },
      random: () => 0.9,
    });
    const pending = s.send("x");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await s.shutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toMatchObject({ ok: false, reason: "shutdown", retryable: true });
    expect(await s.send("y")).toMatchObject({ ok: false, reason: "shutdown", attempts: 0 });
    expect(calls).toHaveLength(1);
    await expect(s.shutdown()).resolves.toBeUndefined();
  });

  it("after stopRetrying, a send waiting to retry gives up at once and later ones try once", async () => {
    const { fetch, calls } = scriptedFetch(503);
    const s = sender(fetch, {
      retry: { initialBackoffMs: 10_000, maxBackoffMs: 10_000 },
      random: () => 0.9,
    });
    const pending = s.send("x");
    await new Promise((resolve) => setTimeout(resolve, 20));
    s.stopRetrying();
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: false, reason: "http_status", status: 503, attempts: 1 });
    expect(outcome.ok ? "" : outcome.detail).toContain("not retried");
    expect(await s.send("y")).toMatchObject({ ok: false, reason: "http_status", attempts: 1 });
    expect(calls).toHaveLength(2);
    await s.shutdown();
  });

  it("lets the attempt in flight finish on shutdown", async () => {
    let release: (() => void) | undefined;
    const slow: OtlpFetch = () =>
      new Promise((resolve) => {
        release = () => resolve(new Response(null, { status: 200 }));
      });
    const s = sender(slow);
    const pending = s.send("x");
    await new Promise((resolve) => setTimeout(resolve, 5));
    let shutDown = false;
    const closing = s.shutdown().then(() => {
      shutDown = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(shutDown).toBe(false);
    release?.();
    await closing;
    expect(await pending).toEqual({ ok: true, attempts: 1 });
  });
});
