import { DurableObject } from "cloudflare:workers";
import { log, span } from "@groundwork/core";
import { createWorkersLimiter, type RateLimitBinding } from "@groundwork/ratelimit/workers";
import { instrument, instrumentDO, traceStub, type WorkerOptions } from "@groundwork/worker";

export interface Env {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  QUOTES_URL: string;
  DEBUG?: string;
  COUNTER: CounterNamespace;
  RATE_LIMITER: RateLimitBinding;
}

interface CounterNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { increment(by: number): Promise<number> };
}

// The collector comes from OTEL_EXPORTER_OTLP_ENDPOINT, debug logs from DEBUG (wrangler.toml).
const config = (): WorkerOptions => ({ serviceName: "example-worker", serviceVersion: "1.0.0" });

/** Counts visits; one object for the whole Worker. */
class Counter extends DurableObject<Env> {
  async increment(by: number): Promise<number> {
    const value = ((await this.ctx.storage.get<number>("visits")) ?? 0) + by;
    await this.ctx.storage.put("visits", value);
    log.info("counted", { value });
    return value;
  }
}

// Exported under the binding's class_name (wrangler.toml).
const InstrumentedCounter = instrumentDO(Counter, config);

export { InstrumentedCounter as Counter };

async function handle(request: Request, env: Env): Promise<Response> {
  const path = new URL(request.url).pathname;
  const limiter = createWorkersLimiter({ binding: env.RATE_LIMITER, limit: 100, period: 60 });
  const client = request.headers.get("cf-connecting-ip") ?? "local";
  if (!(await span("rate limit", () => limiter.check(client))).allowed) {
    log.warn("rate limited", { client });
    return new Response("slow down\n", { status: 429 });
  }
  switch (path) {
    case "/":
      log.info("hello");
      return new Response("hello from an instrumented Worker\n");
    case "/quote": {
      // The global fetch is traced: a client span, and traceparent sent along.
      const upstream = await fetch(env.QUOTES_URL);
      log.info("quote fetched", { status: upstream.status });
      return new Response(await upstream.text(), { status: upstream.ok ? 200 : 502 });
    }
    case "/visits": {
      const counter = traceStub(env.COUNTER.get(env.COUNTER.idFromName("global")));
      return new Response(`${await counter.increment(1)} visits\n`);
    }
    default:
      log.debug("no route", { path });
      return new Response("not found\n", { status: 404 });
  }
}

export default instrument(
  {
    fetch: (request: Request, env: Env) => handle(request, env),
    async scheduled(controller: { cron: string }, env: Env): Promise<void> {
      log.info("refreshing quote", { cron: controller.cron });
      await fetch(env.QUOTES_URL);
    },
  },
  config,
);
