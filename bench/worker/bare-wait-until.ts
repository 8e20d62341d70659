// The bare Worker handing `ctx.waitUntil` a promise that waits for the response and then for
// a budget timer it clears at once, as every instrumented invocation does before it writes
// its logs: the cost of finishing after the response by itself. For the overhead benchmark's
// WORKERS.
import { type Env, handler } from "./app";

export { Counter } from "./app";

interface Ctx {
  waitUntil(promise: Promise<unknown>): void;
}

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    let responded: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      responded = resolve;
    });
    ctx.waitUntil(
      (async () => {
        await done;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const budget = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 20_000);
        });
        await Promise.race([Promise.resolve(), budget]);
        clearTimeout(timer);
      })(),
    );
    const response = await handler.fetch(request, env);
    responded();
    return response;
  },
};
