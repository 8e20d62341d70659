// docs/tracker.md describes the logged line three times: the field table, the Quickwit
// doc mapping and the Vector remap. Each is checked against lines the handler writes.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { createLogger, lineSink } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createTrackerHandler } from "../src/index";

const GUIDE = readFileSync(new URL("../../../docs/tracker.md", import.meta.url), "utf8");
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Line = Record<string, unknown>;
const raw: string[] = [];
let lines: Line[] = [];

beforeAll(async () => {
  const handler = createTrackerHandler({
    log: createLogger({
      format: "json",
      serviceName: "site",
      serviceVersion: "1.0.0",
      sink: lineSink((line) => raw.push(line)),
    }),
    registry: createRegistry({ runtimeInfo: false }),
    // Every geo field, so every documented one can be seen in a real line.
    geo: () => ({
      city: "Lyon",
      region: "Auvergne-Rhône-Alpes",
      region_code: "ARA",
      country: "France",
      country_iso: "FR",
      timezone: "Europe/Paris",
      utc_offset: "+0100",
      currency: "EUR",
      asn: 64_500,
      org: "Example Net",
      loc: "45.75,4.85",
    }),
  });
  const ctx = { remoteAddress: "203.0.113.77" };
  await handler(
    new Request("http://t.test/v1/tracker/event", {
      method: "POST",
      headers: { "user-agent": IPHONE },
      body: JSON.stringify({
        w: "blog",
        u: "https://blog.example/pricing?ref=x",
        r: "https://news.example/item?id=1",
        e: "signup",
        d: { plan: "pro", seats: 3 },
      }),
    }),
    ctx,
  );
  await handler(
    new Request("http://t.test/v1/tracker/img/blog", {
      headers: { "user-agent": IPHONE, referer: "https://blog.example/" },
    }),
    { remoteAddress: "2001:db8:1:2::3" },
  );
  lines = raw.map((l) => JSON.parse(l) as Line);
  expect(lines.map((l) => l.kind)).toEqual(["event", "pageview"]);
});

/** The Markdown section under `heading`, up to the next heading of the same or higher level. */
function section(heading: string): string {
  const start = GUIDE.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const level = heading.split(" ")[0] as string;
  const rest = GUIDE.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

function yamlBlock(heading: string): Record<string, unknown> {
  const match = /```yaml\n([\s\S]*?)```/.exec(section(heading));
  if (match === null) throw new Error(`no YAML block under ${heading}`);
  return parse(match[1] as string) as Record<string, unknown>;
}

const backticked = (text: string) => [...text.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);

describe("docs/tracker.md, against the lines the handler writes", () => {
  it("the field table names every key of the line, and every name in it is real", () => {
    const rows = section("## The event")
      .split("\n")
      .filter((r) => r.startsWith("| `"));
    const documented = new Set(rows.flatMap((r) => backticked(r.split(" | ")[0] as string)));
    const keys = new Set(lines.flatMap((l) => Object.keys(l)));
    expect([...keys].filter((k) => !documented.has(k))).toEqual([]);
    // The logger's `trace_id`/`span_id` only appear inside a span.
    expect([...documented].filter((k) => !keys.has(k))).toEqual([]);

    const infosRow = rows.find((r) => r.startsWith("| `infos`")) as string;
    const infoNames = new Set(backticked(infosRow.split(" | ")[2] as string));
    const infoKeys = new Set(lines.flatMap((l) => Object.keys(l.infos as object)));
    expect([...infoKeys].filter((k) => !infoNames.has(k))).toEqual([]);
    expect([...infoNames].filter((k) => !infoKeys.has(k) && k !== "cf" && k !== "header")).toEqual(
      [],
    );
  });

  it("has one level, the line's own, and says so", () => {
    for (const line of raw) expect(line.match(/"level":/g)).toHaveLength(1);
    for (const line of lines) expect(line.level).toBe("info");
    expect(section("## The event")).toMatch(
      /this one has none, because `level` is the\s+logger's own key/,
    );
  });

  it("the Quickwit doc mapping types fields the line has, with values of those types", () => {
    const config = yamlBlock("### Quickwit") as {
      doc_mapping: { timestamp_field: string; field_mappings: Mapping[] };
    };
    interface Mapping {
      name: string;
      type: string;
      field_mappings?: Mapping[];
    }
    const check = (mappings: Mapping[], values: Line[], path: string): void => {
      for (const m of mappings) {
        const present = values.map((v) => v[m.name]).filter((v) => v !== undefined);
        expect(present.length, `${path}${m.name} is in no line`).toBeGreaterThan(0);
        for (const value of present) {
          const where = `${path}${m.name} = ${JSON.stringify(value)}`;
          if (m.type === "datetime") expect(value, where).toMatch(RFC3339);
          else if (m.type === "text") expect(typeof value, where).toBe("string");
          else if (m.type === "u64")
            expect(Number.isSafeInteger(value) && (value as number) >= 0, where).toBe(true);
          else if (m.type === "ip") expect(isIP(value as string), where).not.toBe(0);
          else if (m.type === "json") expect(typeof value, where).toBe("object");
          else if (m.type === "object")
            check(m.field_mappings ?? [], present as Line[], `${m.name}.`);
          else throw new Error(`unchecked Quickwit type ${m.type}`);
        }
      }
    };
    const { timestamp_field, field_mappings } = config.doc_mapping;
    expect(field_mappings.map((m) => m.name)).toContain(timestamp_field);
    check(field_mappings, lines, "");
  });

  it("the Vector remap selects the lines, parses their time and labels them by fields they have", () => {
    const config = yamlBlock("### Loki (with Vector)") as {
      transforms: { tracker: { source: string } };
      sinks: { loki: { labels: Record<string, string> } };
    };
    const source = config.transforms.tracker.source;
    expect(source).toContain('if .msg != "tracker" { abort }');
    expect(source).toContain('.timestamp = parse_timestamp!(.time, "%+")');
    for (const line of lines) {
      expect(line.msg).toBe("tracker");
      // `%+` is ISO 8601 / RFC 3339 with fractional seconds.
      expect(line.time).toMatch(RFC3339);
      for (const template of Object.values(config.sinks.loki.labels)) {
        const field = /^\{\{ (\w+) \}\}$/.exec(template)?.[1];
        if (field !== undefined) expect(typeof line[field], field).toBe("string");
      }
    }
  });
});
