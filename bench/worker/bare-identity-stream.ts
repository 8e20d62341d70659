// The bare Worker piping its response body through workerd's IdentityTransformStream, as the
// Groundwork Worker does to end the server span when the body has been sent: the cost of
// following the body alone. For the overhead benchmark's WORKERS.
import { type Env, handler } from "./app";

export { Counter } from "./app";

declare const IdentityTransformStream: new () => TransformStream<Uint8Array, Uint8Array>;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const response = await handler.fetch(request, env);
    const { readable, writable } = new IdentityTransformStream();
    response.body?.pipeTo(writable).then(
      () => {},
      () => {},
    );
    return new Response(readable, response);
  },
};
