// The bare Worker reading the five `request.cf` fields a sampled server span records (the
// runtime builds `cf` from its serialized form on first access): that cost by itself. For
// the overhead benchmark's WORKERS.
import { type Env, handler } from "./app";

export { Counter } from "./app";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const cf = (request as unknown as { cf?: Record<string, unknown> }).cf;
    // Kept on the global object so that the reads are used.
    if (cf !== undefined)
      (globalThis as { lastCf?: unknown }).lastCf = [
        cf.colo,
        cf.country,
        cf.asn,
        cf.tlsVersion,
        cf.httpProtocol,
      ];
    return handler.fetch(request, env);
  },
};
