import { describe, expect, it } from "vitest";
import { checkMetrics, startPrometheus, startPushgateway } from "./prometheus";
import { startRedis } from "./redis";

const MISSING = "/nonexistent/groundwork-test-binary";
const NOT_INSTALLED = `cannot start ${MISSING}: it is not installed`;

describe("launchers with a missing binary", () => {
  it("startRedis rejects with a clear error", async () => {
    await expect(startRedis({ binary: MISSING })).rejects.toThrow(NOT_INSTALLED);
  });

  it("startPrometheus rejects with a clear error", async () => {
    await expect(startPrometheus({ target: "127.0.0.1:9", binary: MISSING })).rejects.toThrow(
      NOT_INSTALLED,
    );
  });

  it("startPushgateway rejects with a clear error", async () => {
    await expect(startPushgateway(MISSING)).rejects.toThrow(NOT_INSTALLED);
  });

  it("checkMetrics rejects with a clear error", async () => {
    await expect(checkMetrics("a 1\n", MISSING)).rejects.toThrow(NOT_INSTALLED);
  });
});
