// A CPU profile of one Worker of bench/worker/ in workerd, taken through Miniflare's inspector
// while requests are sent as in worker-overhead.bench.ts, and summed by function (self time)
// and by source: where the JavaScript time of a request goes. Not a benchmark: sampled, so
// only the ranking means anything (on a loaded machine especially).
//
//   node --experimental-websocket --import tsx bench/worker-profile.ts [worker] [seconds]
//
// Writes the raw profile to $PROFILE_OUT (default /tmp/<worker>.cpuprofile) for a viewer.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { bundleWorker, startOtlpReceiver } from "@groundwork/test-harness";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const name = process.argv[2] ?? "groundwork";
const seconds = Number(process.argv[3] ?? "10");
const CONCURRENCY = 8;
const inspectorPort = 9300 + Math.floor(Math.random() * 500);

const upstream = createServer((_req, res) => res.end("upstream"));
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const receiver = await startOtlpReceiver();
const mf = new Miniflare({
  ...convertV4MiniflareOptions({
    name,
    modules: true,
    script: await bundleWorker(new URL(`./worker/${name}.ts`, import.meta.url), { source: false }),
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
      OTLP: receiver.url,
    },
    durableObjects: { COUNTER: "Counter" },
  }),
  inspectorPort,
  handleStructuredLogs: () => {},
});
await mf.ready;
const worker = (await mf.getWorker()) as unknown as {
  fetch(url: string): Promise<{ text(): Promise<string> }>;
};

async function load(ms: number): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await (await worker.fetch("http://bench.test/")).text();
        done++;
      }
    }),
  );
  return done;
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
  id: string;
  webSocketDebuggerUrl?: string;
  title?: string;
}[];
const target = targets.find((t) => t.id.includes(name)) ?? targets[0];
if (target === undefined) throw new Error("no inspector target");
const ws = new WebSocket(
  target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${target.id}`,
);
await new Promise((resolve, reject) => {
  ws.addEventListener("open", resolve);
  ws.addEventListener("error", reject);
});
let nextId = 1;
const pending = new Map<number, (result: unknown) => void>();
ws.addEventListener("message", (event) => {
  const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
  if (message.id !== undefined) pending.get(message.id)?.(message.result);
});
function send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve) => pending.set(id, resolve as (r: unknown) => void));
}

await load(2000); // warm-up
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const requests = await load(seconds * 1000);
await new Promise((resolve) => setTimeout(resolve, 400));
const { profile } = await send<{ profile: Profile }>("Profiler.stop");
writeFileSync(process.env.PROFILE_OUT ?? `/tmp/${name}.cpuprofile`, JSON.stringify(profile));

// Self time per node from the samples.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)");
const idleUs = idle.reduce((a, [, us]) => a + us, 0);
const busy = total - idleUs;
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)?.callFrame;
  if (f === undefined || f.functionName === "(idle)") continue;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
// Inclusive time per function: each sample counted once per distinct function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)?.callFrame;
    if (f === undefined || f.functionName === "(root)" || f.functionName === "(idle)") continue;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
const perReq = (us: number) => `${(us / requests).toFixed(1)} µs/req`;
console.log(
  `${name}: ${requests} requests in ${seconds} s; sampled JS thread busy ${perReq(busy)} (idle excluded)`,
);
const top = (map: Map<string, number>, n: number, title: string) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(
      `${perReq(us).padStart(14)}  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
};
top(fns, Number(process.env.TOP ?? "40"), "self time");
top(inclusive, Number(process.env.TOP ?? "60"), "inclusive time");
ws.close();
await mf.dispose();
await receiver.stop();
upstream.closeAllConnections();
upstream.close();
