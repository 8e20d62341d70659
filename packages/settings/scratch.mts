import { z } from "zod";
import { defineSettings } from "./src/index.ts";

const Free = defineSettings(z.object({ m: z.record(z.string(), z.unknown()).default({}) }));
const cases = [
  () => Free.parse("m:\n  __proto__:\n    polluted: true\n"),
  () => Free.parse("m:\n  constructor:\n    prototype:\n      polluted: true\n"),
  () => Free.parse(JSON.parse('{"m":{"__proto__":{"polluted":true}}}')),
  () => Free.parse("", { env: { prefix: "P_" }, vars: { P_M____PROTO__: "{polluted: true}" } }),
  () => Free.parse("", { args: ["--set", "m.__proto__.polluted=true"] }),
  () => Free.parse("m: {x: {__proto__: {polluted: true}}}\n"),
];
for (const c of cases) {
  try {
    console.log("OK?", JSON.stringify(c()));
  } catch (e) {
    console.log((e as Error).message);
  }
}
