import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger";
import { fileSink } from "./fd-sink";

const tsx = ["--conditions=source", "--import", "tsx"];

describe("fileSink", () => {
  it("appends JSON lines and flushes them", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "gw-sink-")), "app.log");
    const sink = fileSink(path);
    const logger = createLogger({ sink });
    for (let i = 0; i < 5000; i++) logger.info("line", { i });
    await sink.flush();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4999] as string)).toMatchObject({ msg: "line", i: 4999 });
    await sink.close();
    logger.info("after close");
    expect(sink.dropped()).toBe(1);
  });

  it("drops and counts instead of buffering without bound", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "gw-sink-")), "app.log");
    const sink = fileSink(path, { maxPendingBytes: 10_000 });
    const logger = createLogger({ sink });
    for (let i = 0; i < 2000; i++) logger.info("x".repeat(50), { i });
    expect(sink.dropped()).toBeGreaterThan(1500);
    await sink.close();
    const written = readFileSync(path, "utf8").trimEnd().split("\n").length;
    expect(written + sink.dropped()).toBe(2000);
  });
});

describe("stdoutSink", () => {
  it("delivers every line to a pipe, including those buffered when the process exits", () => {
    const script = `
      import { createLogger } from "@groundwork/core";
      import { stdoutSink } from "@groundwork/core/node";
      const logger = createLogger({ sink: stdoutSink() });
      for (let i = 0; i < 20000; i++) logger.info("line", { i });
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, [...tsx, "--input-type=module", "-e", script], {
      cwd: join(import.meta.dirname, "../.."),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(20000);
    expect(JSON.parse(lines[19999] as string)).toMatchObject({ i: 19999 });
  });
});
