// The waitUntil budget timer of an invocation is armed only when there is something to wait
// for after the response: a streamed body, or work handed to ctx.waitUntil.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createRegistry } from "@groundwork/metrics";
import { createTestTelemetry } from "@groundwork/testing";
import "@groundwork/testing/vitest";
import { afterEach, expect, it, vi } from "vitest";
import { type ExecutionContextLike, instrument } from "../src/index";

// A budget no other timer of the runtime or the test uses, to pick its timers out.
const BUDGET_MS = 12_345;

afterEach(() => {
  vi.restoreAllMocks();
});

function budgetTimers(): () => number {
  const spy = vi.spyOn(globalThis, "setTimeout");
  return () => spy.mock.calls.filter((call) => call[1] === BUDGET_MS).length;
}

const handler = {
  async fetch(request: Request, _env: unknown, _ctx: ExecutionContextLike): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/empty") return new Response(null, { status: 204 });
    return new Response("body");
  },
  async scheduled(
    controller: { cron: string },
    _env: unknown,
    ctx: ExecutionContextLike,
  ): Promise<void> {
    if (controller.cron === "wait") ctx.waitUntil(Promise.resolve());
  },
};

function instrumented() {
  const t = createTestTelemetry({ registry: createRegistry() });
  const worker = instrument(handler, {
    serviceName: "timers",
    exporters: t.exporters,
    // No export window either: its timer would be the only other one.
    exportDelayMs: 0,
    waitUntilBudgetMs: BUDGET_MS,
  });
  return { t, worker };
}

it.each([
  ["hands nothing to waitUntil", "* * * * *", 0],
  ["hands work to waitUntil", "wait", 1],
])("scheduled event that %s: %i budget timer(s)", async (_what, cron, timers) => {
  const { t, worker } = instrumented();
  const count = budgetTimers();
  const ctx = createExecutionContext();
  await worker.scheduled?.({ cron, scheduledTime: Date.now() } as never, env, ctx);
  await waitOnExecutionContext(ctx);
  expect(t).toHaveLogged("info", "START", { status: "ok" });
  expect(count()).toBe(timers);
});

it("arms none for a response without a body, one for a response with one", async () => {
  const { t, worker } = instrumented();
  const count = budgetTimers();
  let ctx = createExecutionContext();
  const empty = await worker.fetch?.(new Request("https://timers.example/empty"), env, ctx);
  expect(empty?.status).toBe(204);
  await waitOnExecutionContext(ctx);
  expect(count()).toBe(0);
  ctx = createExecutionContext();
  const full = await worker.fetch?.(new Request("https://timers.example/full"), env, ctx);
  expect(await full?.text()).toBe("body");
  await waitOnExecutionContext(ctx);
  expect(count()).toBe(1);
  expect(t.logs().filter((l) => l.msg === "START")).toHaveLength(2);
});
