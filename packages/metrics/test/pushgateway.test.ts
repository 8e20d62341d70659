import { type PushgatewayServer, startPushgateway } from "@groundwork/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counter, createRegistry, defineMetrics, gauge } from "../src/index";
import { createPushgatewayClient } from "../src/pushgateway";

let gateway: PushgatewayServer;
beforeAll(async () => {
  gateway = await startPushgateway();
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

function jobRegistry() {
  const registry = createRegistry({ serviceName: "batch", runtimeInfo: false });
  const m = defineMetrics(
    "export",
    {
      rows: counter({ help: "Rows exported", labels: ["table"] }),
      last_success: gauge({ help: "Unix time of the last success", unit: "seconds" }),
    },
    { registry },
  );
  return { registry, m };
}

describe("Pushgateway push", () => {
  it("pushes the registry under a grouping key, including values that need base64", async () => {
    const { registry, m } = jobRegistry();
    m.rows({ table: 'orders "eu"' }).inc(120);
    m.last_success.set(1_764_000_000);
    const client = createPushgatewayClient({
      url: gateway.url,
      job: "nightly/export",
      grouping: { instance: "", shard: "ü/1" },
      registry,
    });
    expect(await client.push()).toEqual({ ok: true, status: 200 });
    const text = await gateway.scrape();
    expect(text).toContain(
      'batch_export_rows_total{instance="",job="nightly/export",shard="ü/1",table="orders \\"eu\\""} 120',
    );
    expect(text).toMatch(
      /batch_export_last_success_seconds\{[^}]*job="nightly\/export"[^}]*\} 1\.764e\+09/,
    );
    const group = (await gateway.groups()).find((g) => g.labels.job === "nightly/export");
    expect(group?.labels).toMatchObject({ shard: "ü/1" });
  });

  it("replaces with push, merges with pushAdd, and deletes", async () => {
    const first = jobRegistry();
    first.m.rows({ table: "a" }).inc(1);
    const client = createPushgatewayClient({
      url: gateway.url,
      job: "merge",
      registry: first.registry,
    });
    expect((await client.push()).ok).toBe(true);

    const other = createRegistry({ serviceName: "batch", runtimeInfo: false });
    defineMetrics("extra", { runs: counter({ help: "Runs" }) }, { registry: other }).runs.inc(3);
    const add = createPushgatewayClient({ url: gateway.url, job: "merge", registry: other });
    expect((await add.pushAdd()).ok).toBe(true);
    let text = await gateway.scrape();
    expect(text).toContain('batch_export_rows_total{instance="",job="merge",table="a"} 1');
    expect(text).toContain('batch_extra_runs_total{instance="",job="merge"} 3');

    expect((await add.push()).ok).toBe(true);
    text = await gateway.scrape();
    expect(text).not.toContain('job="merge",table="a"');

    expect((await client.delete()).ok).toBe(true);
    expect(await gateway.scrape()).not.toContain('job="merge"');
  });

  it("reports a refused push without throwing", async () => {
    const { registry } = jobRegistry();
    // The gateway refuses a push that is inconsistent with what it holds:
    // x_y_total as a counter in one group and as a gauge in another.
    const asCounter = createRegistry({ runtimeInfo: false });
    defineMetrics("x", { y: counter({ help: "Y" }) }, { registry: asCounter }).y.inc();
    const asGauge = createRegistry({ runtimeInfo: false });
    defineMetrics("x", { y_total: gauge({ help: "Y" }) }, { registry: asGauge }).y_total.set(1);
    expect(
      (await createPushgatewayClient({ url: gateway.url, job: "c", registry: asCounter }).push())
        .ok,
    ).toBe(true);
    const refused = await createPushgatewayClient({
      url: gateway.url,
      job: "g",
      registry: asGauge,
    }).push();
    expect(refused.ok).toBe(false);
    expect(refused.status).toBe(400);
    const down = await createPushgatewayClient({
      url: "http://127.0.0.1:1",
      job: "j",
      registry,
    }).push();
    expect(down.ok).toBe(false);
    expect(down.status).toBeUndefined();
  });
});
