import { describe, expect, it } from "vitest";
import {
  builtinModule,
  clearTimer,
  detectAsyncLocalStorage,
  detectRuntime,
  epochNow,
  isGroundworkError,
  monotonicNow,
  queueMicrotask,
  readEnv,
  runtimeGlobal,
  setUnrefInterval,
  setUnrefTimeout,
} from "./index";

describe("clock", () => {
  it("epochNow is wall-clock time with sub-millisecond resolution and never goes backwards", () => {
    const before = Date.now();
    let previous = epochNow();
    let fractional = false;
    for (let i = 0; i < 10_000; i++) {
      const now = epochNow();
      expect(now).toBeGreaterThanOrEqual(previous);
      if (!Number.isInteger(now)) fractional = true;
      previous = now;
    }
    // Anchored once at the time origin: within a second of the wall clock here.
    expect(Math.abs(previous - before)).toBeLessThan(1000);
    // workerd's clock is coarse on purpose (it advances with I/O only), so the resolution is
    // checked where the runtime offers it.
    if (detectRuntime().runtime === "node") expect(fractional).toBe(true);
  });

  it("monotonicNow advances across a timer", async () => {
    const start = monotonicNow();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(monotonicNow()).toBeGreaterThan(start);
  });
});

describe("timers", () => {
  it("runs an unref'd timeout, and a cleared one never", async () => {
    const ran: string[] = [];
    setUnrefTimeout(() => ran.push("a"), 1);
    const cancelled = setUnrefTimeout(() => ran.push("b"), 1);
    clearTimer(cancelled);
    clearTimer(undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran).toEqual(["a"]);
  });

  it("runs an interval until stopped", async () => {
    let count = 0;
    const stop = setUnrefInterval(() => count++, 1);
    expect(stop).toBeTypeOf("function");
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop?.();
    const seen = count;
    expect(seen).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(count).toBe(seen);
  });

  it("queues a microtask after the current code", async () => {
    const order: number[] = [];
    queueMicrotask(() => order.push(2));
    order.push(1);
    await Promise.resolve();
    expect(order).toEqual([1, 2]);
  });
});

describe("environment", () => {
  it("reads strings only, from any source, and survives a hostile one", () => {
    expect(readEnv("A", { A: "1", B: 2 })).toBe("1");
    expect(readEnv("B", { A: "1", B: 2 })).toBeUndefined();
    expect(readEnv("A", { A: "" })).toBe("");
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("boom");
        },
      },
    );
    expect(readEnv("A", hostile)).toBeUndefined();
  });
});

describe("runtime detection", () => {
  it("finds AsyncLocalStorage and node built-ins (Node and workerd with nodejs_compat)", () => {
    const Als = detectAsyncLocalStorage();
    expect(Als).toBeTypeOf("function");
    const store = new (Als as NonNullable<typeof Als>)<number>();
    expect(store.run(7, () => store.getStore())).toBe(7);
    expect(builtinModule("node:does-not-exist")).toBeUndefined();
  });

  it("names the runtime", () => {
    const { runtime } = detectRuntime();
    const inWorkerd =
      runtimeGlobal<{ userAgent?: string }>("navigator")?.userAgent === "Cloudflare-Workers";
    expect(runtime).toBe(inWorkerd ? "workerd" : "node");
  });
});

describe("errors", () => {
  it("recognises the shared error shape", () => {
    const err = Object.assign(new Error("x"), { code: "ERR_INVALID_OPTION" });
    expect(isGroundworkError(err)).toBe(true);
    expect(isGroundworkError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isGroundworkError({ code: "ERR_X" })).toBe(false);
  });
});
