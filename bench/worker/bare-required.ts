// The bare Worker doing, by hand and with nothing else, the four things every invocation of
// an instrumented Worker needs whatever library does it: its own async context, a body
// followed to its end through workerd's IdentityTransformStream (so the server span can end
// when a streamed body has been sent), a `START`-like entry on the console, and finishing
// after the response in `ctx.waitUntil` with a budget timer. No span, metric or export: the
// floor the instrumentation's CPU per request is compared with. For the overhead
// benchmark's WORKERS.
import { AsyncLocalStorage } from "node:async_hooks";
import { type Env, handler } from "./app";
import { startEntry } from "./start-entry";

export { Counter } from "./app";

declare const IdentityTransformStream: new () => TransformStream<Uint8Array, Uint8Array>;

interface Ctx {
  waitUntil(promise: Promise<unknown>): void;
}

const storage = new AsyncLocalStorage<object>();

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const started = performance.now();
    let ended: () => void = () => {};
    const end = new Promise<void>((resolve) => {
      ended = resolve;
    });
    let status = "";
    ctx.waitUntil(
      (async () => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const budget = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 20_000);
        });
        await Promise.race([end, budget]);
        clearTimeout(timer);
        console.log(startEntry(request.method, status, performance.now() - started));
      })(),
    );
    const response = await storage.run({ request }, () => handler.fetch(request, env));
    status = String(response.status);
    if (response.body === null) {
      ended();
      return response;
    }
    const { readable, writable } = new IdentityTransformStream();
    response.body.pipeTo(writable).then(ended, ended);
    return new Response(readable, response);
  },
};
