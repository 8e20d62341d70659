import { close, closeSync, openSync, write, writeSync } from "node:fs";
import type { LineSink } from "../logging/sinks";

/** Options of the Node line sinks. */
export interface FdSinkOptions {
  /**
   * Bytes that may wait for the file descriptor (buffered plus in flight).
   * Lines beyond it are dropped and counted instead of growing memory when
   * the reader is slow. Default 8 MiB.
   */
  maxPendingBytes?: number;
  /** Write synchronously (blocking the event loop on a slow reader). Default `false`. */
  sync?: boolean;
}

/** A line sink over a file descriptor. */
export interface FdSink extends LineSink {
  /** Resolves when every line written so far reached the descriptor. */
  flush(): Promise<void>;
  /** Flushes, then closes the descriptor if the sink opened it. */
  close(): Promise<void>;
  /** Lines dropped because the pending buffer was full or writing failed. */
  dropped(): number;
}

const sinks = new Set<{ flushSync(): void }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever is still buffered at exit is written synchronously, so the last
  // lines before a crash or process.exit() are not lost.
  process.once("exit", () => {
    for (const sink of sinks) sink.flushSync();
  });
}

/**
 * Lines are appended to a buffer and written in one `fs.write` per event-loop
 * turn, at most one write in flight; EAGAIN (a non-blocking pipe that is
 * full) is retried shortly after. Memory is bounded by `maxPendingBytes`.
 */
function createFdSink(fd: number, owned: boolean, options: FdSinkOptions): FdSink {
  const maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
  let buffer = "";
  let inFlight: Buffer | null = null;
  let scheduled = false;
  let closed = false;
  let dropped = 0;
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (inFlight !== null || buffer !== "") return;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };

  const pump = (): void => {
    scheduled = false;
    if (inFlight !== null) return;
    if (buffer === "") {
      settle();
      return;
    }
    const chunk = Buffer.from(buffer);
    buffer = "";
    send(chunk);
  };

  const send = (chunk: Buffer): void => {
    inFlight = chunk;
    write(fd, chunk, 0, chunk.length, null, (err, written) => {
      inFlight = null;
      if (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          setTimeout(() => (inFlight === null ? send(chunk) : undefined), 5).unref();
          inFlight = chunk;
          return;
        }
        dropped++;
      } else if (written < chunk.length) {
        send(chunk.subarray(written));
        return;
      }
      pump();
    });
  };

  const writeNow = (text: string) => {
    const bytes = Buffer.from(text);
    let offset = 0;
    for (let tries = 0; offset < bytes.length && tries < 1000; tries++) {
      try {
        offset += writeSync(fd, bytes, offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      }
    }
  };

  const sink = {
    kind: "line" as const,
    write(line: string) {
      if (closed) {
        dropped++;
        return;
      }
      if (options.sync) {
        try {
          writeNow(`${line}\n`);
        } catch {
          dropped++;
        }
        return;
      }
      if (buffer.length + (inFlight?.length ?? 0) + line.length > maxPending) {
        dropped++;
        return;
      }
      buffer += `${line}\n`;
      if (!scheduled && inFlight === null) {
        scheduled = true;
        setImmediate(pump);
      }
    },
    flush() {
      if (inFlight === null && buffer === "") return Promise.resolve();
      const done = new Promise<void>((resolve) => waiters.push(resolve));
      if (!scheduled && inFlight === null) pump();
      return done;
    },
    async close() {
      await sink.flush();
      closed = true;
      sinks.delete(sink);
      if (owned) await new Promise<void>((resolve) => close(fd, () => resolve()));
    },
    dropped: () => dropped,
    flushSync() {
      if (buffer === "") return;
      try {
        writeNow(buffer);
        buffer = "";
      } catch {
        dropped++;
      }
      if (owned && closed) closeSync(fd);
    },
  };
  sinks.add(sink);
  installExitHook();
  return sink;
}

/**
 * A line sink writing to standard output, buffered per event-loop turn and
 * bounded (see {@link FdSinkOptions}).
 *
 * @param options - see {@link FdSinkOptions}.
 * @returns the sink.
 * @example
 * ```ts
 * import { createTelemetry } from "@groundwork/core";
 * import { stdoutSink } from "@groundwork/core/node";
 * createTelemetry({ serviceName: "api", logging: { sink: stdoutSink() } }).install();
 * ```
 */
export function stdoutSink(options: FdSinkOptions = {}): FdSink {
  return createFdSink(1, false, options);
}

/**
 * A line sink writing to standard error; see {@link stdoutSink}.
 *
 * @param options - see {@link FdSinkOptions}.
 * @returns the sink.
 * @example
 * ```ts
 * createLogger({ sink: stderrSink() });
 * ```
 */
export function stderrSink(options: FdSinkOptions = {}): FdSink {
  return createFdSink(2, false, options);
}

/**
 * A line sink appending to a file (created if missing).
 *
 * @param path - the file.
 * @param options - see {@link FdSinkOptions}.
 * @returns the sink; `close()` it when done.
 * @throws the `fs.openSync` error if the file cannot be opened (at setup, not while logging).
 * @example
 * ```ts
 * const sink = fileSink("/var/log/api.log");
 * createLogger({ sink }).info("hello");
 * await sink.close();
 * ```
 */
export function fileSink(path: string, options: FdSinkOptions = {}): FdSink {
  return createFdSink(openSync(path, "a"), true, options);
}
