import { afterAll, beforeAll, beforeEach } from "vitest";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver";

/**
 * One OTLP receiver for a test file: started before its tests, emptied
 * before each test, stopped after them. Returns a handle that forwards to the
 * running receiver, so tests use it like the receiver itself.
 */
export function useOtlpReceiver(): OtlpReceiver {
  let current: OtlpReceiver | undefined;
  beforeAll(async () => {
    current = await startOtlpReceiver();
  });
  afterAll(async () => {
    await current?.stop();
  });
  beforeEach(() => current?.reset());
  return new Proxy({} as OtlpReceiver, {
    get(_target, property) {
      if (current === undefined) {
        throw new Error("the OTLP receiver starts in beforeAll: use it inside hooks and tests");
      }
      const value: unknown = Reflect.get(current, property);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
}
