import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * What the docs test does with a block, from the HTML comment right before it (blank
 * lines between are allowed):
 * - no marker: `check` — type-checked as a whole module;
 * - `<!-- docs-test: run -->`: `run` — type-checked, then run with Node;
 * - `<!-- docs-test: fragment -->`: `fragment` — type-checked after the TypeScript lines
 *   that follow `fragment` inside the comment (the prelude: `declare`s and imports for
 *   what the fragment uses from the text around it);
 * - `<!-- docs-test: skip <reason> -->`: `skip` — left out; the reason is required.
 */
export type BlockMode = "check" | "run" | "fragment" | "skip";

/** One ```ts block of a Markdown file. */
export interface DocBlock {
  /** The Markdown file, relative to the repository root. */
  doc: string;
  /** 1-based number among the file's ```ts blocks. */
  index: number;
  /** 1-based line of the block's first code line in the Markdown file. */
  line: number;
  mode: BlockMode;
  /** The prelude of a fragment; empty otherwise. */
  prelude: string;
  /** Why a skipped block is skipped. */
  reason: string;
  code: string;
}

/** A malformed marker, reported as a failure of its own. */
export class MarkerError extends Error {
  override name = "MarkerError";
}

const MARKER = /<!--\s*docs-test:\s*(\w+)([\s\S]*?)-->\s*$/;

function parseMarker(
  comment: string,
  where: string,
): Pick<DocBlock, "mode" | "prelude" | "reason"> {
  const match = MARKER.exec(comment);
  if (!match) throw new MarkerError(`${where}: cannot read the docs-test marker ${comment}`);
  const [, keyword, rest = ""] = match;
  switch (keyword) {
    case "run":
      return { mode: "run", prelude: "", reason: "" };
    case "fragment":
      return { mode: "fragment", prelude: rest.trim(), reason: "" };
    case "skip":
      if (rest.trim() === "") throw new MarkerError(`${where}: "docs-test: skip" needs a reason`);
      return { mode: "skip", prelude: "", reason: rest.trim() };
    default:
      throw new MarkerError(
        `${where}: unknown docs-test marker "${keyword}" (use run, fragment or skip)`,
      );
  }
}

/**
 * The ```ts blocks of one Markdown file with their markers.
 *
 * @param root - the repository root
 * @param file - absolute path of the Markdown file
 * @returns the blocks in file order
 */
export function extractBlocks(root: string, file: string): DocBlock[] {
  const doc = relative(root, file);
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})(\S*)/.exec(lines[i] ?? "");
    if (!fence) continue;
    const [, indent = "", marks = "", lang = ""] = fence;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? "").trimStart().startsWith(marks)) end++;
    if (lang === "ts") {
      const index = blocks.length + 1;
      // The marker: the comment ending on the closest non-blank line above the fence.
      let above = i - 1;
      while (above >= 0 && (lines[above] ?? "").trim() === "") above--;
      let marker: Pick<DocBlock, "mode" | "prelude" | "reason"> = {
        mode: "check",
        prelude: "",
        reason: "",
      };
      if (above >= 0 && (lines[above] ?? "").trimEnd().endsWith("-->")) {
        let start = above;
        while (start > 0 && !(lines[start] ?? "").includes("<!--")) start--;
        const comment = lines.slice(start, above + 1).join("\n");
        if (/<!--\s*docs-test:/.test(comment)) {
          marker = parseMarker(comment, `${doc} block ${index} (line ${i + 1})`);
        }
      }
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join("\n");
      blocks.push({ doc, index, line: i + 2, ...marker, code });
    }
    i = end;
  }
  return blocks;
}

/**
 * The Markdown files whose blocks are tested: the root README, each package's and
 * example's README, and the guides in `docs/`.
 *
 * @param root - the repository root
 * @returns absolute paths, sorted
 */
export function docFiles(root: string): string[] {
  const files = [join(root, "README.md")];
  for (const group of ["packages", "examples"]) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const readme = join(root, group, entry.name, "README.md");
      try {
        readFileSync(readme);
        files.push(readme);
      } catch {
        // a package without a README has nothing to test
      }
    }
  }
  for (const entry of readdirSync(join(root, "docs"), { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".md")) files.push(join(root, "docs", entry.name));
  }
  return files.sort();
}
