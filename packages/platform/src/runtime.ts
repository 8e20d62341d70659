import { runtimeGlobal, runtimeProcess } from "./globals";

/** The JavaScript runtime running the code. */
export interface RuntimeInfo {
  /** `node`, `workerd`, `deno`, `bun`, `browser` or `unknown`. */
  readonly runtime: string;
  /** Its version where known, else `""` (a browser's user agent). */
  readonly version: string;
}

/**
 * Identifies the JavaScript runtime without touching `node:*`.
 *
 * @returns the runtime and its version.
 */
export function detectRuntime(): RuntimeInfo {
  const nav = runtimeGlobal<{ userAgent?: unknown }>("navigator");
  const ua = typeof nav?.userAgent === "string" ? nav.userAgent : "";
  // workerd under nodejs_compat also has process.versions.node, so check it first.
  if (ua === "Cloudflare-Workers") return { runtime: "workerd", version: "" };
  const deno = runtimeGlobal<{ version?: { deno?: unknown } }>("Deno");
  if (typeof deno?.version?.deno === "string")
    return { runtime: "deno", version: deno.version.deno };
  const versions = runtimeProcess()?.versions;
  if (typeof versions?.bun === "string") return { runtime: "bun", version: versions.bun };
  if (typeof versions?.node === "string") return { runtime: "node", version: versions.node };
  if (ua !== "") return { runtime: "browser", version: ua };
  return { runtime: "unknown", version: "" };
}
