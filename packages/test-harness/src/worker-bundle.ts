import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Options of {@link bundleWorker}. */
export interface BundleWorkerOptions {
  /**
   * Resolve workspace packages to their TypeScript sources (`true`, tests) or to their
   * built `dist/` (`false`, benchmarks). Default `true`.
   */
  source?: boolean;
  /** Minify, as a deployed Worker would be. Default `false`. */
  minify?: boolean;
}

/**
 * Bundles a Worker entry into one ES module, as Wrangler does: esbuild, the `workerd`,
 * `worker` and `browser` conditions (so packages' browser fields map their Node-only files
 * away), `cloudflare:*` and `node:*` left to the runtime.
 *
 * @param entry - the entry file, a `file:` URL or an absolute path.
 * @param options - sources or built packages, minification; see {@link BundleWorkerOptions}.
 * @returns the bundled module's text.
 * @example
 * ```ts
 * const script = await bundleWorker(new URL("./fixtures/worker.ts", import.meta.url));
 * ```
 */
export async function bundleWorker(
  entry: string | URL,
  options: BundleWorkerOptions = {},
): Promise<string> {
  const result = await bundle(entry, options);
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error("esbuild produced no output");
  return file.text;
}

/**
 * The modules a Worker entry loads, bundled as {@link bundleWorker} bundles it: every file
 * esbuild read, whether or not tree shaking kept any of its code. What a bundler that does
 * not tree-shake (or a runtime loading the modules as they are) would load.
 *
 * @param entry - the entry file, a `file:` URL or an absolute path.
 * @param options - sources or built packages; see {@link BundleWorkerOptions}.
 * @returns absolute paths of the modules, the entry's included.
 * @example
 * ```ts
 * const modules = await bundledModules(new URL("./fixtures/worker.ts", import.meta.url));
 * expect(modules.some((m) => m.endsWith("metrics/src/index.ts"))).toBe(false);
 * ```
 */
export async function bundledModules(
  entry: string | URL,
  options: BundleWorkerOptions = {},
): Promise<string[]> {
  const result = await bundle(entry, options, true);
  return Object.keys(result.metafile?.inputs ?? {}).map((input) => resolve(input));
}

function bundle(entry: string | URL, options: BundleWorkerOptions, metafile = false) {
  const conditions = ["workerd", "worker", "browser"];
  if (options.source !== false) conditions.unshift("source");
  return build({
    entryPoints: [entry instanceof URL ? fileURLToPath(entry) : entry],
    bundle: true,
    minify: options.minify === true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions,
    external: ["cloudflare:*", "node:*"],
    write: false,
    logLevel: "silent",
    metafile,
  });
}
