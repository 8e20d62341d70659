import { describe, expect, it } from "vitest";
import { parseCommandLine } from "./cli";
import { applyOtelEnv } from "./otel-env";
import { permissionFlags } from "./sandbox";
import { serviceSettings } from "./service-settings";

describe("parseCommandLine", () => {
  it("collects repeatable -c files and --set overrides, skipping a leading --", () => {
    expect(
      parseCommandLine(["--", "-c", "a.yaml", "--config", "b.yaml", "--set", "x.y=1"]),
    ).toEqual({
      kind: "run",
      configs: ["a.yaml", "b.yaml"],
      args: ["-c", "a.yaml", "--config", "b.yaml", "--set", "x.y=1"],
    });
    expect(parseCommandLine(["-g"])).toEqual({ kind: "generate" });
    expect(parseCommandLine(["-h", "-c", "x"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--set", "novalue"]).kind).toBe("usage-error");
    expect(parseCommandLine(["extra"]).kind).toBe("usage-error");
  });
});

describe("permissionFlags", () => {
  const sandbox = serviceSettings.parse({
    sandbox: {
      enabled: true,
      fs_read: ["/srv/app/", "/etc/ssl"],
      fs_write: ["/var/log/app"],
      worker: true,
    },
  }).sandbox;

  it("uses --permission where Node has it and --experimental-permission before", () => {
    expect(permissionFlags(sandbox, new Set(["--permission"]))).toEqual([
      "--permission",
      "--allow-fs-read=/srv/app",
      "--allow-fs-read=/etc/ssl",
      "--allow-fs-write=/var/log/app",
      "--allow-worker",
    ]);
    expect(permissionFlags({ ...sandbox, child_process: true }, new Set())[0]).toBe(
      "--experimental-permission",
    );
    expect(permissionFlags({ ...sandbox, child_process: true }, new Set())).toContain(
      "--allow-child-process",
    );
  });
});

describe("applyOtelEnv", () => {
  const base = {
    serviceName: "svc",
    tracing: { samplingRatio: 1, exporter: { endpoint: "http://127.0.0.1:4318/v1/traces" } },
  };

  it("lets the standard variables override the trace exporter and sampling", () => {
    expect(applyOtelEnv(base, {}).tracing).toEqual(base.tracing);
    expect(
      applyOtelEnv(base, {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
      }).tracing,
    ).toEqual({
      samplingRatio: 0.25,
      exporter: { endpoint: "http://collector:4318/v1/traces", protocol: "http/json" },
    });
    expect(
      applyOtelEnv(base, {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom",
      }).tracing,
    ).toMatchObject({ exporter: { endpoint: "http://traces:4318/custom" } });
    expect(applyOtelEnv(base, { OTEL_TRACES_EXPORTER: "console" }).tracing).toMatchObject({
      exporter: "console",
    });
    expect(applyOtelEnv(base, { OTEL_TRACES_EXPORTER: "none" }).tracing).toEqual({
      samplingRatio: 1,
    });
    expect(applyOtelEnv(base, { OTEL_SDK_DISABLED: "true" }).tracing).toEqual({
      samplingRatio: 1,
      enabled: false,
    });
    expect(applyOtelEnv(base, { OTEL_TRACES_SAMPLER_ARG: "7" }).tracing).toEqual(base.tracing);
  });
});
