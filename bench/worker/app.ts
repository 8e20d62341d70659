// The Worker both instrumentations wrap in the bundle-size benchmark: fetch and scheduled
// handlers, an outbound fetch and a Durable Object, with no telemetry code of its own.

export interface Env {
  UPSTREAM: string;
  COUNTER: {
    idFromName(name: string): unknown;
    get(id: unknown): { fetch(url: string): Promise<Response> };
  };
}

export const handler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/visits") {
      const counter = env.COUNTER.get(env.COUNTER.idFromName("global"));
      return counter.fetch("https://counter/increment");
    }
    const upstream = await fetch(env.UPSTREAM);
    return new Response(await upstream.text());
  },
  async scheduled(_controller: { cron: string }, env: Env): Promise<void> {
    await fetch(env.UPSTREAM);
  },
};

/** Counts visits in storage. */
export class Counter {
  constructor(
    private readonly state: {
      storage: { get(k: string): Promise<unknown>; put(k: string, v: unknown): Promise<void> };
    },
  ) {}

  async fetch(): Promise<Response> {
    const value = (Number(await this.state.storage.get("visits")) || 0) + 1;
    await this.state.storage.put("visits", value);
    return new Response(String(value));
  }
}
