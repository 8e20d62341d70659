// The bare Worker reading the five `request.cf` fields a sampled server span records (the
// runtime builds `cf` from its serialized form on first access): that cost by itself. For
// the overhead benchmark's WORKERS.
import { type Env, handler } from "./app";

export { Counter } from "./app";

// Kept so that the reads are used.
let last: unknown;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const cf = (request as unknown as { cf?: Record<string, unknown> }).cf;
    if (cf !== undefined) last = [cf.colo, cf.country, cf.asn, cf.tlsVersion, cf.httpProtocol];
    return handler.fetch(request, env);
  },
};
