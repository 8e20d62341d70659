import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type RedisServer, startRedis } from "@groundwork/test-harness";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimit } from "../src/http/index";
import { createLimiter, type Limiter } from "../src/index";
import { createRedisLimiter, ioredisAdapter } from "../src/redis/index";

/** What the Node adapter passes as a handler's second argument. */
interface Connection {
  remoteAddress: string;
}

// Serves a fetch-style handler over node:http, as the Node adapter does: the
// socket's address goes along with each request, as `{ remoteAddress }`.
async function serve(
  handler: (request: Request, connection: Connection) => Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method ?? "GET",
      headers,
    });
    handler(request, { remoteAddress: req.socket.remoteAddress ?? "" })
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const tOf = (res: globalThis.Response | undefined) =>
  Number(/;t=(\d+)$/.exec(res?.headers.get("ratelimit") ?? "")?.[1]);

let redis: RedisServer;
let io: Redis;

beforeAll(async () => {
  redis = await startRedis();
  io = new Redis(redis.url);
}, 30_000);

afterAll(async () => {
  io?.disconnect();
  await redis?.stop();
});

describe("rateLimit over a real HTTP server", () => {
  const stores: [string, () => Limiter][] = [
    ["memory", () => createLimiter({ rate: "2/min", burst: 3 })],
    [
      "redis",
      () =>
        createRedisLimiter({
          client: ioredisAdapter(io),
          rate: "2/min",
          burst: 3,
          prefix: `http:${Math.random()}`,
        }),
    ],
  ];

  for (const [name, make] of stores) {
    it(`limits per client and sets the draft headers (${name} store)`, async () => {
      let served = 0;
      const app = rateLimit(
        { limiter: make(), trustedProxies: 1, policyName: "api" },
        async (request: Request, _connection: Connection) => {
          served++;
          return new Response(`hello ${new URL(request.url).pathname}`);
        },
      );
      const server = await serve(app);
      try {
        const get = (ip: string) =>
          fetch(`${server.url}/x`, { headers: { "X-Forwarded-For": ip } });
        const statuses: number[] = [];
        let last: globalThis.Response | undefined;
        for (let i = 0; i < 4; i++) {
          last = await get("192.0.2.10");
          statuses.push(last.status);
          if (i < 3) expect(await last.text()).toBe("hello /x");
        }
        expect(statuses).toEqual([200, 200, 200, 429]);
        expect(served).toBe(3);
        // One unit per 30 s: both fields say 30 s, less the time the requests
        // took (whole seconds, rounded up), however slow the machine.
        const retry = Number(last?.headers.get("retry-after"));
        expect(retry).toBeGreaterThanOrEqual(25);
        expect(retry).toBeLessThanOrEqual(30);
        expect(last?.headers.get("ratelimit-policy")).toBe('"api";q=2;w=60');
        expect(last?.headers.get("ratelimit")).toMatch(/^"api";r=0;t=(\d+)$/);
        expect(tOf(last)).toBeLessThanOrEqual(retry);
        expect(tOf(last)).toBeGreaterThanOrEqual(25);
        expect(await last?.text()).toBe("Too Many Requests\n");
        const other = await get("192.0.2.11");
        expect(other.status).toBe(200);
        expect(other.headers.get("ratelimit")).toMatch(/^"api";r=2;t=(\d+)$/);
        expect(tOf(other)).toBeGreaterThanOrEqual(29);
        expect(tOf(other)).toBeLessThanOrEqual(30);
      } finally {
        await server.close();
      }
    }, 20_000);
  }

  it("keys on the TCP peer by default: rotating forged headers do not help", async () => {
    const app = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 3 }) },
      async (_request: Request, _connection: Connection) => new Response("ok"),
    );
    const server = await serve(app);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const forged = `203.0.113.${i + 1}`;
        const res = await fetch(server.url, {
          headers: {
            "CF-Connecting-IP": forged,
            "X-Forwarded-For": forged,
            Forwarded: `for=${forged}`,
            "X-Real-IP": forged,
          },
        });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    } finally {
      await server.close();
    }
  });

  it("behind one trusted proxy, keys on the address that proxy appended", async () => {
    const app = rateLimit(
      { limiter: createLimiter({ rate: "1/min", burst: 3 }), trustedProxies: 1 },
      async (_request: Request, _connection: Connection) => new Response("ok"),
    );
    const server = await serve(app);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        // The client forges CF-Connecting-IP and the start of the chain; the
        // proxy (the loopback peer) appended the client's real address last.
        const res = await fetch(server.url, {
          headers: {
            "CF-Connecting-IP": `203.0.113.${i + 1}`,
            "X-Forwarded-For": `203.0.113.${i + 1}, 192.0.2.77`,
          },
        });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      // Another client behind the same proxy has its own bucket.
      const other = await fetch(server.url, { headers: { "X-Forwarded-For": "192.0.2.78" } });
      expect(other.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
