/**
 * The configuration `pnpm start` runs with when no `-c` file is given: the
 * orders API, an `inventory` endpoint it asks about stock, a `hello`
 * endpoint, demo mode on (spans printed, a few requests sent at start).
 */
export const DEMO_CONFIG = `
http:
  addr: "127.0.0.1:0"
inventory:
  url: "endpoint:inventory"
endpoints:
  inventory:
    addr: "127.0.0.1:0"
    routes:
      /stock/widget:
        response: '{"in_stock": true}'
        delay: 15ms
      /stock/gadget:
        response: '{"in_stock": true}'
      /stock/bolt:
        response: '{"in_stock": false}'
  hello:
    addr: "127.0.0.1:0"
    routes:
      /:
        response: "Hello from Groundwork!\\n"
      /teapot:
        status_code: 418
        response: "I'm a teapot\\n"
demo: true
telemetry:
  tracing:
    exporter:
      scheduled_delay: 200ms
`;
