import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defaultClientConditions, type UserConfig } from "vite";
import { configDefaults, type TestProjectInlineConfiguration } from "vitest/config";

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

/** Test files of a package or example, relative to its folder. */
const TEST_FILES = ["src/**/*.test.ts", "test/**/*.test.ts"];
/** Files that need Node: left out of the workerd projects. */
const NODE_ONLY = "src/**/*.node.test.ts";
/** Files that need Workers bindings: run only by a `:workerd-binding` project. */
const WORKERD_ONLY = "**/*.workerd.test.ts";

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
 *
 * @param name - the package's project name; the project is `<name>:<suffix>`
 * @param root - the package folder the globs are relative to
 * @param options - suffix, files and Miniflare options; see {@link WorkerdProjectOptions}
 * @returns an inline project for `test.projects`
 */
export function workerdProject(
  name: string,
  root: string,
  options: WorkerdProjectOptions = {},
): TestProjectInlineConfiguration {
  return {
    ...sourceConditions,
    root,
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
      exclude: [...configDefaults.exclude, ...(options.exclude ?? [NODE_ONLY, WORKERD_ONLY])],
    },
  };
}

/** What a package needs beyond the conventions of {@link workspaceProjects}. */
export interface PackageTestOptions {
  /** Per-test and per-hook timeout of its Node project, in ms. Default vitest's (5000). */
  timeoutMs?: number;
  /**
   * Miniflare options (bindings) for its `*.workerd.test.ts` files, which then run in a
   * `<name>:workerd-binding` project. Default none: such files do not run.
   */
  workerdBindings?: Record<string, unknown>;
}

/**
 * Whether a package is runtime-neutral: its `tsconfig.json` sets `"types": []`, the
 * split that keeps `@types/node` out of its sources. Those packages also run their unit
 * tests in workerd.
 */
function isRuntimeNeutral(dir: string): boolean {
  const tsconfig = join(dir, "tsconfig.json");
  if (!existsSync(tsconfig)) return false;
  const types = (
    JSON.parse(readFileSync(tsconfig, "utf8")) as { compilerOptions?: { types?: unknown } }
  ).compilerOptions?.types;
  return Array.isArray(types) && types.length === 0;
}

/**
 * The vitest projects of the workspace, one list built from the folders: for each
 * `packages/<name>` a Node project `<name>` (its `src/` and `test/` tests) and, when the
 * package is runtime-neutral, a `<name>:workerd` project (its unit tests in real
 * workerd); for each `examples/<name>` a Node project `example-<name>`. A new package is
 * picked up without a config file of its own.
 *
 * @param rootDir - the repository root
 * @param options - per-project extras, by Node project name (`ratelimit`, `example-basic`)
 * @returns the inline projects, sorted by name
 */
export function workspaceProjects(
  rootDir: string,
  options: Readonly<Record<string, PackageTestOptions>> = {},
): TestProjectInlineConfiguration[] {
  const projects: TestProjectInlineConfiguration[] = [];
  for (const [group, prefix] of [
    ["packages", ""],
    ["examples", "example-"],
  ] as const) {
    const groupDir = join(rootDir, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      const dir = join(groupDir, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, "package.json"))) continue;
      const name = `${prefix}${entry.name}`;
      const extra = options[name] ?? {};
      projects.push({
        ...sourceConditions,
        root: dir,
        test: {
          name,
          include: TEST_FILES,
          exclude: [...configDefaults.exclude, WORKERD_ONLY],
          ...(extra.timeoutMs === undefined
            ? {}
            : { testTimeout: extra.timeoutMs, hookTimeout: extra.timeoutMs }),
        },
      });
      if (group === "packages" && isRuntimeNeutral(dir)) projects.push(workerdProject(name, dir));
      if (extra.workerdBindings !== undefined) {
        projects.push(
          workerdProject(name, dir, {
            suffix: "workerd-binding",
            include: [`test/${WORKERD_ONLY}`],
            exclude: [],
            miniflare: extra.workerdBindings,
          }),
        );
      }
    }
  }
  return projects.sort((a, b) => String(a.test?.name).localeCompare(String(b.test?.name)));
}
