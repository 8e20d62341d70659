import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// The README's example is run as written and must print what the README says.

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");

it("the README example runs and prints what the README shows", async () => {
  const readme = await readFile(join(pkg, "README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  const shown = /prints\n\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  expect(shown).toBeDefined();
  const dir = await mkdtemp(join(pkg, "test/fixtures/.readme-"));
  try {
    const file = join(dir, "example.ts");
    await writeFile(file, code!);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--conditions=source", "--import", "tsx", file],
        { cwd: pkg, timeout: 30_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    expect(stdout).toBe(shown);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
