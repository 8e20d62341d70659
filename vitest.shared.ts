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

/**
 * A vitest project that runs a package's unit tests inside real workerd.
 * Files named `*.node.test.ts` need Node and are left out.
 */
export function workerdProject(name: string) {
  return {
    ...sourceConditions,
    plugins: [
      cloudflareTest({
        miniflare: {
          compatibilityDate: "2025-09-01",
          compatibilityFlags: ["nodejs_compat"],
        },
      }),
    ],
    test: {
      name: `${name}:workerd`,
      include: ["src/**/*.test.ts"],
      exclude: ["src/**/*.node.test.ts"],
    },
  };
}
