import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSettings } from "../define";
import { SettingsError } from "../errors";
import { byteSize, formatByteSize, parseByteSize } from "./byte-size";
import { duration, formatDuration, parseDuration } from "./duration";
import { rate } from "./rate";
import { indirect, Secret, secret } from "./secret";
import { parseSocketAddr, socketAddr } from "./socket-addr";
import { url } from "./url";

describe("duration", () => {
  it("parses units and compositions into milliseconds", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2d")).toBe(172_800_000);
    for (const bad of ["", "30", "s", "30 s", "-1s", "1y", "1s2"])
      expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("formats the shortest text that parses back", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(1500)).toBe("1s500ms");
    expect(formatDuration(86_400_000)).toBe("1d");
    for (const ms of [1, 999, 1000, 61_001, 3_600_000, 123_456_789]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it("accepts text or milliseconds in settings", () => {
    const S = defineSettings(z.object({ t: duration().default(10_000) }));
    expect(S.parse("t: 2m").t).toBe(120_000);
    expect(S.parse("t: 75").t).toBe(75);
    expect(S.defaultYaml()).toContain("t: 10s");
    expect(() => S.parse("t: -5")).toThrow(SettingsError);
    expect(() => S.parse("t: soon")).toThrow(SettingsError);
  });
});

describe("byteSize", () => {
  it("parses decimal and binary units", () => {
    expect(parseByteSize("10MiB")).toBe(10 * 1024 * 1024);
    expect(parseByteSize("1GB")).toBe(1e9);
    expect(parseByteSize("512 KiB")).toBe(512 * 1024);
    expect(parseByteSize("100B")).toBe(100);
    expect(parseByteSize("1.5KiB")).toBe(1536);
    expect(parseByteSize("0.3B")).toBeUndefined();
    expect(parseByteSize("10M")).toBeUndefined();
  });

  it("formats with the largest exact unit", () => {
    expect(formatByteSize(10 * 1024 * 1024)).toBe("10MiB");
    expect(formatByteSize(5_000_000)).toBe("5MB");
    expect(formatByteSize(1234)).toBe("1234B");
    expect(formatByteSize(0)).toBe("0B");
  });

  it("yields bytes in settings and renders defaults as text", () => {
    const S = defineSettings(z.object({ max: byteSize().default(1024) }));
    expect(S.parse("max: 2KiB").max).toBe(2048);
    expect(S.defaultYaml()).toContain("max: 1KiB");
    expect(() => S.parse("max: 1.5")).toThrow(SettingsError);
  });
});

describe("socketAddr", () => {
  it("splits IPv4, IPv6 and host names", () => {
    expect(parseSocketAddr("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseSocketAddr("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
    expect(parseSocketAddr("example.com:443")).toEqual({ host: "example.com", port: 443 });
    for (const bad of ["127.0.0.1", ":80", "host:65536", "::1:80", "a b:1", "host:-1"]) {
      expect(parseSocketAddr(bad), bad).toBeUndefined();
    }
  });

  it("validates in settings", () => {
    const S = defineSettings(z.object({ addr: socketAddr().default("127.0.0.1:0") }));
    expect(S.parse('addr: "[::]:9000"').addr).toBe("[::]:9000");
    expect(() => S.parse("addr: localhost")).toThrow(SettingsError);
  });
});

describe("url", () => {
  it("accepts absolute URLs with allowed schemes only", () => {
    const S = defineSettings(z.object({ u: url().default("http://localhost/") }));
    expect(S.parse("u: https://example.com/x").u).toBe("https://example.com/x");
    expect(() => S.parse("u: ftp://example.com")).toThrow(SettingsError);
    expect(() => S.parse("u: /relative")).toThrow(SettingsError);
    const Ws = defineSettings(z.object({ u: url({ protocols: ["ws:"] }).optional() }));
    expect(Ws.parse("u: ws://h/").u).toBe("ws://h/");
  });

  it("refuses schemes without their colon when the schema is made", () => {
    for (const protocols of [[], ["https"], ["http:", "ftp"]]) {
      let code: unknown;
      try {
        url({ protocols });
      } catch (err) {
        code = (err as SettingsError).code;
      }
      expect(code, JSON.stringify(protocols)).toBe("ERR_INVALID_OPTION");
    }
  });
});

describe("secret", () => {
  it("hides the value in strings, JSON and YAML dumps", () => {
    const S = defineSettings(
      z.object({ key: secret().optional(), headers: z.record(z.string(), secret()).default({}) }),
    );
    const value = S.parse("key: hunter2\nheaders:\n  authorization: Bearer abc\n");
    expect(value.key?.reveal()).toBe("hunter2");
    expect(`${value.key}`).toBe("[REDACTED]");
    expect(String(value.key)).toBe("[REDACTED]");
    expect(JSON.stringify(value)).toBe(
      '{"key":"[REDACTED]","headers":{"authorization":"[REDACTED]"}}',
    );
    const dump = S.toYaml(value);
    expect(dump).not.toContain("hunter2");
    expect(dump).not.toContain("abc");
    expect(dump).toContain('key: "[REDACTED]"');
  });

  it("is a class users can construct", () => {
    expect(new Secret("x").reveal()).toBe("x");
  });

  it("indirect() lets any string field use env: references", () => {
    const S = defineSettings(
      z.object({ dsn: indirect(z.string().describe("DSN.")).default("env:DSN") }),
    );
    expect(S.parse("", { vars: { DSN: "postgres://db" } }).dsn).toBe("postgres://db");
    expect(S.defaultYaml()).toContain("# DSN.");
    const err = (() => {
      try {
        S.parse("", { vars: {} });
      } catch (e) {
        return e as SettingsError;
      }
    })();
    expect(err?.issues[0]).toMatchObject({ code: "reference", path: ["dsn"] });
    expect(err?.issues[0]?.message).toContain("DSN is not set");
  });
});

describe("rate", () => {
  it("accepts what parseRate accepts and keeps the input", () => {
    const S = defineSettings(z.object({ rate: rate().default("10/s") }));
    expect(S.parse("rate: 600/min").rate).toBe("600/min");
    expect(S.parse("rate: { per: hour, count: 5000 }").rate).toEqual({ per: "hour", count: 5000 });
    expect(S.defaultYaml()).toContain("rate: 10/s");
  });

  it("reports a bad rate as a located settings error", () => {
    const S = defineSettings(
      z.object({ rate_limit: z.object({ rate: rate().default("5/s") }).prefault({}) }),
    );
    for (const bad of ["ten per second", "0/s", "5/fortnight", "{ per: day, count: 1 }", "12"]) {
      let err: unknown;
      try {
        S.parse(`rate_limit:\n  rate: ${bad}\n`, { name: "app.yaml" });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(SettingsError);
      expect((err as SettingsError).issues[0], bad).toMatchObject({
        path: ["rate_limit", "rate"],
        expected: 'a rate such as "10/s", "600/min", "5000/hour" or { per: second, count: 10 }',
        source: { kind: "file", file: "app.yaml", line: 2, column: 9 },
      });
    }
  });
});
