// Loading and generating settings, against the bare way of doing it: `yaml`
// to parse and zod to validate (no merging, no locations, no unknown-key or
// safety checks; comments-free output). Run with
//   node --conditions=source --import tsx bench/settings.bench.ts
import { parse as parseYaml, stringify } from "yaml";
import { webServerSettings } from "../packages/settings/test/fixtures/web-server";
import { compare } from "./compare";

// The definition keeps the zod schema's own type, so it validates as plain zod too.
const schema = webServerSettings.schema;
const small = "telemetry:\n  tracing:\n    sampling_ratio: 0.5\n";
// Bare zod rejects `key: ~` on optional keys, so both sides read the file without those lines.
const full = webServerSettings.defaultYaml().replace(/^.*: ~\n/gm, "");
const defaults = webServerSettings.defaults();

await compare("settings", "yaml + zod", [
  {
    name: "parse + validate, 3-line override",
    ours: () => webServerSettings.parse(small),
    peer: () => schema.parse(parseYaml(small)),
  },
  {
    name: `parse + validate, full file (${full.split("\n").length} lines)`,
    ours: () => webServerSettings.parse(full),
    peer: () => schema.parse(parseYaml(full)),
  },
  {
    name: "default YAML (annotated vs plain dump)",
    ours: () => webServerSettings.defaultYaml(),
    peer: () => stringify(defaults),
  },
]);
