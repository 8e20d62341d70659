import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defaultClientConditions, type UserConfig } from "vite";

/**
 * Resolve `@groundwork/*` workspace packages to their TypeScript sources (the
 * `source` export condition), so tests never run against a stale `dist/`.
 */
export const sourceConditions = {
  resolve: { conditions: ["source", ...defaultClientConditions] },
  // Not Vite's default server conditions: their "module" picks bundler-only
  // builds (extensionless ESM, e.g. @opentelemetry/api) that Node cannot load.
  ssr: { resolve: { conditions: ["source", "node", "development|production"] } },
} satisfies UserConfig;

/** Options of {@link workerdProject}. */
export interface WorkerdProjectOptions {
  /** Project name suffix. Default `"workerd"` (the project is `<package>:workerd`). */
  suffix?: string;
  /** Test files. Default the package's unit tests, `src/**\/*.test.ts`. */
  include?: string[];
  /** Files left out. Default `*.node.test.ts` (tests that need Node). */
  exclude?: string[];
  /** Extra Miniflare options, e.g. bindings. */
  miniflare?: Record<string, unknown>;
}

/**
 * A vitest project that runs a package's tests inside real workerd. By
 * default these are its unit tests; files named `*.node.test.ts` need Node and
 * are left out.
 */
export function workerdProject(name: string, options: WorkerdProjectOptions = {}) {
  return {
    ...sourceConditions,
    plugins: [
      cloudflareTest({
        miniflare: {
          compatibilityDate: "2025-09-01",
          compatibilityFlags: ["nodejs_compat"],
          ...options.miniflare,
        },
      }),
    ],
    test: {
      name: `${name}:${options.suffix ?? "workerd"}`,
      include: options.include ?? ["src/**/*.test.ts"],
      exclude: options.exclude ?? ["src/**/*.node.test.ts"],
    },
  };
}
