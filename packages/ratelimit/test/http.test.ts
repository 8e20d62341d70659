import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type RedisServer, startRedis } from "@groundwork/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimit } from "../src/http/index";
import { createLimiter, type Limiter } from "../src/index";
import { createRedisLimiter, ioredisAdapter } from "../src/redis/index";

// Serves a fetch-style handler over node:http, as an adapter would: the
// socket's address is passed along so a key function can use it.
async function serve(
  handler: (request: Request, remoteAddress: string) => Promise<Response>,
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
    handler(request, req.socket.remoteAddress ?? "")
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
        async (request: Request, _remote: string) => {
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
        expect(last?.headers.get("retry-after")).toBe("30");
        expect(last?.headers.get("ratelimit-policy")).toBe('"api";q=2;w=60');
        expect(last?.headers.get("ratelimit")).toBe('"api";r=0;t=90');
        expect(await last?.text()).toBe("Too Many Requests\n");
        const other = await get("192.0.2.11");
        expect(other.status).toBe(200);
        expect(other.headers.get("ratelimit")).toBe('"api";r=2;t=30');
      } finally {
        await server.close();
      }
    }, 20_000);
  }

  it("can key on the socket address passed by the server adapter", async () => {
    const app = rateLimit(
      {
        limiter: createLimiter({ rate: "1/min", burst: 1 }),
        key: (_request, remote) => remote,
      },
      async (_request: Request, _remote: string) => new Response("ok"),
    );
    const server = await serve(app);
    try {
      expect((await fetch(server.url)).status).toBe(200);
      // Forged headers do not help: the key is the TCP peer.
      const again = await fetch(server.url, { headers: { "X-Forwarded-For": "203.0.113.99" } });
      expect(again.status).toBe(429);
    } finally {
      await server.close();
    }
  });
});
