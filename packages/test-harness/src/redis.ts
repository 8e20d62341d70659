import { type ChildProcess, spawn } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "./ports";
import { stopProcess } from "./processes";
import { spawnFailure } from "./spawn-failure";

/** A redis-server started for a test, listening on a loopback port. */
export interface RedisServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server and starts a fresh one on the same port; data is gone. */
  restart(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Path of the redis-server binary. Default `/usr/bin/redis-server`. */
  binary?: string;
  /** How long to wait for the server to answer PING. Default 10 000 ms. */
  readyTimeoutMs?: number;
}

/**
 * Starts `redis-server` on a free loopback port with no persistence (no RDB,
 * no AOF), waits until it answers `PING`, and returns a handle to stop or
 * restart it. Tests must call `stop()` (usually in `afterAll`).
 *
 * @param options - binary path and readiness timeout; defaults suit Debian's package.
 * @returns the running server.
 * @example
 * ```ts
 * const redis = await startRedis();
 * try {
 *   // connect a client to redis.url
 * } finally {
 *   await redis.stop();
 * }
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? "/usr/bin/redis-server";
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(binary, port, readyTimeoutMs);

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c) await stopProcess(c);
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      child = await launch(binary, port, readyTimeoutMs);
    },
  };
}

/**
 * Starts one `redis-server` on a loopback port without persistence and waits
 * for `PING`. Shared with the cluster launcher, which adds its own arguments.
 *
 * @param binary - path of redis-server.
 * @param port - the port.
 * @param readyTimeoutMs - how long to wait for PING.
 * @param extraArgs - more command-line options.
 * @returns the child process.
 */
export async function launch(
  binary: string,
  port: number,
  readyTimeoutMs: number,
  extraArgs: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
      ...extraArgs,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let failure: Error | undefined;
  child.once("error", (error) => {
    failure = spawnFailure(binary, error);
  });
  // If the test process dies without calling stop() (an uncaught error, a
  // closed pipe), take the server down with it instead of leaving an orphan.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (failure !== undefined) throw failure;
    if (child.exitCode !== null) {
      throw new Error(`redis-server exited with code ${child.exitCode}: ${stderr.trim()}`);
    }
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
