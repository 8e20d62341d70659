import { createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  type AsyncLocalStorageConstructor,
  createAsyncLocalStorageContextManager,
  createStackContextManager,
} from "./manager";

const KEY = createContextKey("test.value");
const withValue = (v: string) => ROOT_CONTEXT.setValue(KEY, v);

describe("createStackContextManager", () => {
  it("is active during the synchronous call and restored after, also on throw", () => {
    const m = createStackContextManager();
    expect(m.with(withValue("a"), () => m.active().getValue(KEY))).toBe("a");
    expect(m.active()).toBe(ROOT_CONTEXT);
    expect(() =>
      m.with(withValue("b"), () => {
        throw new Error("x");
      }),
    ).toThrow("x");
    expect(m.active()).toBe(ROOT_CONTEXT);
    const nested = m.with(withValue("outer"), () =>
      m.with(withValue("inner"), () => m.active().getValue(KEY)),
    );
    expect(nested).toBe("inner");
  });

  it("binds callbacks, keeping this and arguments", () => {
    const m = createStackContextManager();
    const bound = m.bind(withValue("cb"), function (this: { n: number }, add: number) {
      return `${m.active().getValue(KEY)}:${this.n + add}`;
    });
    expect(bound.call({ n: 1 }, 2)).toBe("cb:3");
    expect(m.bind(withValue("x"), 42)).toBe(42);
  });
});

describe("createAsyncLocalStorageContextManager", () => {
  it("keeps the context across await with the runtime's AsyncLocalStorage", async () => {
    // Node and workerd (nodejs_compat) both provide process.getBuiltinModule.
    const g = globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } };
    const hooks = g.process.getBuiltinModule("node:async_hooks") as {
      AsyncLocalStorage: AsyncLocalStorageConstructor;
    };
    const m = createAsyncLocalStorageContextManager(hooks.AsyncLocalStorage);
    const seen = await m.with(withValue("async"), async () => {
      await new Promise((r) => setTimeout(r, 1));
      return m.active().getValue(KEY);
    });
    expect(seen).toBe("async");
    expect(m.active()).toBe(ROOT_CONTEXT);
    const thisArg = { tag: "t" };
    expect(
      m.with(
        withValue("x"),
        function (this: typeof thisArg) {
          return this.tag;
        },
        thisArg,
      ),
    ).toBe("t");
    m.disable();
    expect(m.active()).toBe(ROOT_CONTEXT);
  });
});

describe("createAsyncLocalStorageContextManager, entering the active context", () => {
  it("calls fn directly, with this and arguments, instead of entering a new frame", () => {
    const g = globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } };
    const { AsyncLocalStorage } = g.process.getBuiltinModule("node:async_hooks") as {
      AsyncLocalStorage: AsyncLocalStorageConstructor;
    };
    let runs = 0;
    // Counts the frames the manager enters.
    class CountingStorage<T> extends (AsyncLocalStorage as unknown as new <U>() => {
      run<R, A extends unknown[]>(store: U, fn: (...args: A) => R, ...args: A): R;
      getStore(): U | undefined;
    })<T> {
      override run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R {
        runs++;
        return super.run(store, fn, ...args);
      }
    }
    const m = createAsyncLocalStorageContextManager(
      CountingStorage as unknown as AsyncLocalStorageConstructor,
    );
    const outer = withValue("outer");
    const seen = m.with(outer, () =>
      m.with(
        outer,
        function (this: { n: number }, add: number) {
          return `${m.active().getValue(KEY)}:${this.n + add}`;
        },
        { n: 1 },
        2,
      ),
    );
    expect(seen).toBe("outer:3");
    expect(runs).toBe(1);
    // A different context is still entered, and left after.
    expect(m.with(outer, () => m.with(withValue("inner"), () => m.active().getValue(KEY)))).toBe(
      "inner",
    );
    expect(runs).toBe(3);
    expect(m.active()).toBe(ROOT_CONTEXT);
  });
});
