import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { type DocBlock, docFiles, extractBlocks } from "./blocks";

// Every ```ts block of the READMEs and guides is type-checked against the BUILT packages
// (their `dist` types, as npm users get them; `pnpm test` builds first), and blocks marked
// `<!-- docs-test: run -->` are run with Node. Markers: see test/docs/blocks.ts and the
// "Docs that run" section of CONTRIBUTING.md.

const root = fileURLToPath(new URL("../..", import.meta.url));
const workDir = join(root, ".tmp", "docs-test");
const blocks = docFiles(root).flatMap((file) => extractBlocks(root, file));
const checked = blocks.filter((b) => b.mode !== "skip");
// Every package npm users get (the private test harness is not one).
const publishedPackages = readdirSync(join(root, "packages")).filter((name) => {
  const manifest = join(root, "packages", name, "package.json");
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).private !== true;
});

const label = (b: DocBlock) => `${b.doc} block ${b.index} (line ${b.line})`;
const fileOf = (b: DocBlock) =>
  join(workDir, `${b.doc.replace(/[/.]/g, "_")}_block${String(b.index).padStart(2, "0")}.ts`);
const preludeLines = (b: DocBlock) => (b.prelude === "" ? 0 : b.prelude.split("\n").length);

function compilerOptions(): ts.CompilerOptions {
  const base = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, root);
  return {
    ...options,
    // Not the `source` condition: resolve @groundwork/* to the built `dist` types.
    customConditions: [],
    types: ["node"],
    // Each block is a module of its own (top-level await, no shared globals).
    moduleDetection: ts.ModuleDetectionKind.Force,
    // Examples often declare what they only show.
    noUnusedLocals: false,
    noUnusedParameters: false,
    declaration: false,
    noEmit: true,
  };
}

/** Type errors by block file, each located in the Markdown file. */
const errors = new Map<string, string[]>();

beforeAll(() => {
  const missing = publishedPackages.filter((p) => !existsSync(join(root, "packages", p, "dist")));
  if (missing.length > 0) {
    throw new Error(`packages not built (${missing.join(", ")}): run \`pnpm build\` first`);
  }
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  for (const b of checked) {
    writeFileSync(fileOf(b), b.prelude === "" ? b.code : `${b.prelude}\n${b.code}`);
  }
  const program = ts.createProgram(checked.map(fileOf), compilerOptions());
  const byFile = new Map(checked.map((b) => [fileOf(b), b]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const block = d.file ? byFile.get(d.file.fileName) : undefined;
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
    if (!block || !d.file || d.start === undefined) {
      // Not located in a block (a broken option or declaration file): every block fails.
      for (const b of checked) errors.set(fileOf(b), [...(errors.get(fileOf(b)) ?? []), text]);
      continue;
    }
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const where =
      line < preludeLines(block)
        ? `fragment prelude line ${line + 1}`
        : `${block.doc}:${block.line + line - preludeLines(block)}:${character + 1}`;
    const list = errors.get(fileOf(block)) ?? [];
    list.push(`${where} TS${d.code}: ${text}`);
    errors.set(fileOf(block), list);
  }
}, 120_000);

it("resolves @groundwork/* to the built dist types, not the sources", () => {
  const from = join(workDir, "resolve.ts");
  for (const pkg of publishedPackages) {
    const resolved = ts.resolveModuleName(`@groundwork/${pkg}`, from, compilerOptions(), ts.sys)
      .resolvedModule?.resolvedFileName;
    expect(resolved).toMatch(new RegExp(`packages/${pkg}/dist/index\\.d\\.ts$`));
  }
});

function runBlock(b: DocBlock): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", fileOf(b)],
      { cwd: root, timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
          output: `${stdout}${stderr}`.trim(),
        }),
    );
  });
}

const byDoc = new Map<string, DocBlock[]>();
for (const b of blocks) byDoc.set(b.doc, [...(byDoc.get(b.doc) ?? []), b]);
for (const [doc, docBlocks] of byDoc) {
  describe(doc, () => {
    for (const b of docBlocks) {
      if (b.mode === "skip") {
        it.skip(`block ${b.index} (line ${b.line}): ${b.reason}`, () => {});
        continue;
      }
      const title = `block ${b.index} (line ${b.line}) type-checks${b.mode === "run" ? " and runs" : ""}`;
      it(title, async () => {
        const found = errors.get(fileOf(b)) ?? [];
        expect(found, `${label(b)} does not type-check:\n${found.join("\n")}`).toEqual([]);
        if (b.mode !== "run") return;
        const { code, output } = await runBlock(b);
        expect(code, `${label(b)} exited with ${code}:\n${output}`).toBe(0);
      }, 60_000);
    }
  });
}
