// What every server of the HTTP benchmarks answers, and the span exporter they share.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

export const BODY = "hello world";

/** The fetch handler of `serve()` and hono. */
export const handler = (): Response =>
  new Response(BODY, { headers: { "content-type": "text/plain" } });

/** The same answer for the node:http servers. */
export const bareListener = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(BODY);
};

/** Spans go through each side's batch processor to this exporter, which drops them. */
export const noopExporter: SpanExporter = {
  export(_spans: ReadableSpan[], done) {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};
