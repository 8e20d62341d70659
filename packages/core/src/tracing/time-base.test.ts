import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTracing } from "./runtime";
import { span } from "./span";

// Start and end times must come from one monotonic base: a child lies within its parent
// and a sibling started after another ended never overlaps it.

const ns = (time: readonly [number, number]): bigint =>
  BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);

describe("span time base", () => {
  it("keeps every child within its parent and sequential siblings apart over thousands of pairs", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({
      serviceName: "clock",
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const pairs = 3000;
    await context.with(tracing.context(ROOT_CONTEXT), async () => {
      for (let i = 0; i < pairs; i++) {
        await span(`parent ${i}`, async () => {
          await span(`first ${i}`, async () => {
            await Promise.resolve();
          });
          await span(`second ${i}`, () => Promise.resolve());
        });
      }
    });
    const byName = new Map<string, ReadableSpan>();
    for (const s of exporter.getFinishedSpans()) byName.set(s.name, s);
    const outside: string[] = [];
    const overlapping: string[] = [];
    for (let i = 0; i < pairs; i++) {
      const parent = byName.get(`parent ${i}`) as ReadableSpan;
      const first = byName.get(`first ${i}`) as ReadableSpan;
      const second = byName.get(`second ${i}`) as ReadableSpan;
      for (const child of [first, second]) {
        if (ns(child.startTime) < ns(parent.startTime) || ns(child.endTime) > ns(parent.endTime)) {
          outside.push(
            `${child.name} ${child.startTime} ${child.endTime} in ${parent.startTime} ${parent.endTime}`,
          );
        }
      }
      if (ns(second.startTime) < ns(first.endTime)) overlapping.push(second.name);
      const next = byName.get(`parent ${i + 1}`);
      if (next !== undefined && ns(next.startTime) < ns(parent.endTime))
        overlapping.push(next.name);
    }
    expect(outside).toEqual([]);
    expect(overlapping).toEqual([]);
    await tracing.shutdown();
  });
});
