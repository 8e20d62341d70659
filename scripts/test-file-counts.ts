// A green run only counts if every test file ran. Globs that stop matching (a renamed
// folder, a suffix typo, a project dropped from the config) make vitest run fewer files
// and still pass, so the number of test files each vitest project runs is recorded in
// test/expected-test-files.json and checked after each full run:
//   - as a reporter: `vitest run --reporter=default --reporter=./scripts/test-file-counts.ts`
//     (what `pnpm test` does) fails the run when a project ran fewer files than recorded,
//     ran none, or is not recorded at all;
//   - as a script: `tsx scripts/test-file-counts.ts --update` (`pnpm test:update-counts`)
//     records what every project's globs match now, without running the tests.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Reporter, TestModule, TestRunEndReason, Vitest } from "vitest/node";

const COUNTS_FILE = fileURLToPath(new URL("../test/expected-test-files.json", import.meta.url));
const UPDATE_HINT = "run `pnpm test:update-counts` and commit test/expected-test-files.json";

type Counts = Record<string, number>;

function readExpected(): Counts {
  try {
    return JSON.parse(readFileSync(COUNTS_FILE, "utf8")) as Counts;
  } catch (error) {
    throw new Error(`cannot read ${COUNTS_FILE}: ${String(error)}; ${UPDATE_HINT}`);
  }
}

/**
 * Compares the test files each project ran with the recorded counts.
 *
 * @param expected - recorded counts by project name
 * @param actual - files run by project name; every configured project is a key
 * @returns one line per problem; empty when the run is complete
 */
export function compareCounts(expected: Counts, actual: Counts): string[] {
  const problems: string[] = [];
  for (const [project, ran] of Object.entries(actual)) {
    const want = expected[project];
    if (want === undefined) {
      problems.push(`project "${project}" ran ${ran} test files but is not recorded`);
    } else if (ran < want) {
      problems.push(`project "${project}" ran ${ran} test files, expected at least ${want}`);
    }
  }
  for (const [project, want] of Object.entries(expected)) {
    if (actual[project] === undefined && want > 0) {
      problems.push(`project "${project}" (expected ${want} test files) does not exist any more`);
    }
  }
  return problems;
}

/** Vitest reporter that fails a full run whose test file counts fall short of the record. */
export default class TestFileCountReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors: unknown,
    reason: TestRunEndReason,
  ): void {
    const vitest = this.vitest;
    if (vitest === undefined || reason === "interrupted") return;
    // A run narrowed to some projects or files is not a full run: nothing to compare.
    const filters = (vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
    if (vitest.config.project.length > 0 || (filters !== undefined && filters.length > 0)) {
      vitest.logger.log("Test file counts not checked: the run was filtered.");
      return;
    }
    const actual: Counts = {};
    for (const project of vitest.projects) actual[project.name] = 0;
    for (const module of testModules) {
      const name = module.project.name;
      actual[name] = (actual[name] ?? 0) + 1;
    }
    const problems = compareCounts(readExpected(), actual);
    if (problems.length === 0) return;
    vitest.logger.error(
      `\nIncomplete test run (test/expected-test-files.json):\n${problems
        .map((p) => `  - ${p}`)
        .join("\n")}\nIf tests were added, moved or removed on purpose, ${UPDATE_HINT}.\n`,
    );
    process.exitCode = 1;
  }
}

async function update(): Promise<void> {
  const { createVitest } = await import("vitest/node");
  const vitest = await createVitest("test", { watch: false, run: true });
  try {
    const counts: Counts = {};
    for (const project of vitest.projects) counts[project.name] = 0;
    for (const spec of await vitest.globTestSpecifications()) {
      counts[spec.project.name] = (counts[spec.project.name] ?? 0) + 1;
    }
    const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(COUNTS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
    for (const [project, count] of Object.entries(sorted)) console.log(`${project}: ${count}`);
  } finally {
    await vitest.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--update")) {
  await update();
}
