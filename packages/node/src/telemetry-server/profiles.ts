import { Session } from "node:inspector";
import type { Readable } from "node:stream";
import { getHeapSnapshot } from "node:v8";

/** Why a profile could not be taken. */
export type ProfileRefusal = "busy";

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => {
      if (error !== null) reject(error);
      else resolve(result as T);
    });
  });
}

/**
 * Takes at most one heap snapshot or CPU profile at a time: both are heavy,
 * and two at once would only measure each other.
 */
export function createProfiler() {
  let busy = false;

  return {
    get busy(): boolean {
      return busy;
    },

    /**
     * A V8 heap snapshot as a stream of JSON (`.heapsnapshot`), or "busy".
     * The process pauses while V8 writes the snapshot.
     */
    heapSnapshot(): Readable | ProfileRefusal {
      if (busy) return "busy";
      busy = true;
      let stream: Readable;
      try {
        stream = getHeapSnapshot();
      } catch (error) {
        busy = false;
        throw error;
      }
      stream.once("close", () => {
        busy = false;
      });
      return stream;
    },

    /**
     * Profiles the CPU for `seconds` through `node:inspector` and resolves
     * with the `.cpuprofile` JSON text, or "busy". The session only exists
     * while a profile is running. Ends early when `signal` aborts.
     */
    async cpuProfile(seconds: number, signal?: AbortSignal): Promise<string | ProfileRefusal> {
      if (busy) return "busy";
      busy = true;
      const session = new Session();
      try {
        session.connect();
        await post(session, "Profiler.enable");
        await post(session, "Profiler.start");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, seconds * 1000);
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          }
          signal?.addEventListener("abort", done, { once: true });
        });
        const { profile } = await post<{ profile: unknown }>(session, "Profiler.stop");
        return JSON.stringify(profile);
      } finally {
        session.disconnect();
        busy = false;
      }
    },
  };
}

/** The profiler of {@link createProfiler}. */
export type Profiler = ReturnType<typeof createProfiler>;
