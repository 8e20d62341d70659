import { type Context, createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extendable, setContextValue } from "./otel-context";

const keys = Array.from({ length: 6 }, (_, i) => createContextKey(`k${i}`));

type Op = { kind: "set"; key: number; value: number } | { kind: "delete"; key: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.nat(5), value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.nat(5) }),
);

function apply(ctx: Context, ops: readonly Op[], ours: boolean): Context[] {
  const seen = [ctx];
  for (const o of ops) {
    const key = keys[o.key]!;
    if (o.kind === "set")
      ctx = ours ? setContextValue(ctx, key, o.value) : ctx.setValue(key, o.value);
    else ctx = ctx.deleteValue(key);
    seen.push(ctx);
  }
  return seen;
}

const read = (ctx: Context) => keys.map((k) => ctx.getValue(k));

describe("setContextValue", () => {
  it("reads exactly like the API's own context after any sets and deletes, at every step", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        fc.array(fc.integer(), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        (ops, base, withBase) => {
          // A foreign starting context, holding values of its own or not.
          let start: Context = ROOT_CONTEXT;
          if (withBase) for (const [i, k] of keys.entries()) start = start.setValue(k, base[i]);
          const expected = apply(start, ops, false).map(read);
          const actual = apply(start, ops, true).map(read);
          expect(actual).toEqual(expected);
        },
      ),
    );
  });

  it("never changes the context it was given", () => {
    const [a, b] = keys;
    const parent = setContextValue(ROOT_CONTEXT, a!, 1);
    const child = setContextValue(parent, b!, 2);
    const deleted = child.deleteValue(a!);
    expect([parent.getValue(a!), parent.getValue(b!)]).toEqual([1, undefined]);
    expect([child.getValue(a!), child.getValue(b!)]).toEqual([1, 2]);
    expect([deleted.getValue(a!), deleted.getValue(b!)]).toEqual([undefined, 2]);
    expect(ROOT_CONTEXT.getValue(a!)).toBeUndefined();
  });

  it("keeps lookups bounded however deep the chain grows", () => {
    const [a, b] = keys;
    let ctx: Context = setContextValue(ROOT_CONTEXT, a!, "bottom");
    for (let i = 0; i < 100_000; i++) ctx = setContextValue(ctx, b!, i);
    expect(ctx.getValue(a!)).toBe("bottom");
    expect(ctx.getValue(b!)).toBe(99_999);
    // A lookup walks plain nodes up to the nearest flattened one (which holds a Map),
    // then stops: count that walk on the structure itself.
    interface Walked {
      parent: unknown;
      entries: Map<symbol, unknown> | undefined;
      parentIsNode: boolean;
    }
    let node = ctx as unknown as Walked;
    let hops = 0;
    while (node.entries === undefined && node.parentIsNode) {
      node = node.parent as Walked;
      hops++;
    }
    expect(hops).toBeLessThanOrEqual(32);
    expect(node.entries?.get(a!)).toBe("bottom");
    expect(node.parentIsNode).toBe(false);
  });

  it("is extended by OpenTelemetry code through the Context interface", () => {
    const [a, b] = keys;
    const ctx = setContextValue(ROOT_CONTEXT, a!, 1).setValue(b!, 2);
    expect([ctx.getValue(a!), ctx.getValue(b!)]).toEqual([1, 2]);
  });

  it("makes any context cheaply extendable without changing what it reads", () => {
    const [a, b] = keys;
    const foreign = ROOT_CONTEXT.setValue(a!, "foreign");
    for (const ctx of [ROOT_CONTEXT, foreign]) {
      const wrapped = extendable(ctx);
      expect(read(wrapped)).toEqual(read(ctx));
      const extended = wrapped.setValue(b!, 2).deleteValue(a!);
      expect(read(extended)).toEqual(read(ctx.setValue(b!, 2).deleteValue(a!)));
      // Deep chains over a wrapper flatten and still read through to `ctx`.
      let deep = wrapped;
      for (let i = 0; i < 100; i++) deep = deep.setValue(b!, i);
      expect([deep.getValue(a!), deep.getValue(b!)]).toEqual([ctx.getValue(a!), 99]);
    }
    const ours = setContextValue(ROOT_CONTEXT, a!, 1);
    expect(extendable(ours)).toBe(ours);
  });
});
