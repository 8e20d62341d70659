// Identifies the JavaScript runtime for runtime_info without touching node:*.

interface RuntimeGlobals {
  process?: { versions?: { node?: string; bun?: string } };
  Deno?: { version?: { deno?: string } };
  navigator?: { userAgent?: string };
}

export function detectRuntime(): { runtime: string; version: string } {
  const g = globalThis as RuntimeGlobals;
  const ua = typeof g.navigator?.userAgent === "string" ? g.navigator.userAgent : "";
  // workerd under nodejs_compat also has process.versions.node, so check it first.
  if (ua === "Cloudflare-Workers") return { runtime: "workerd", version: "" };
  if (typeof g.Deno?.version?.deno === "string")
    return { runtime: "deno", version: g.Deno.version.deno };
  if (typeof g.process?.versions?.bun === "string")
    return { runtime: "bun", version: g.process.versions.bun };
  if (typeof g.process?.versions?.node === "string")
    return { runtime: "node", version: g.process.versions.node };
  if (ua !== "") return { runtime: "browser", version: ua };
  return { runtime: "unknown", version: "" };
}
