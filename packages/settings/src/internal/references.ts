import { exceedsUtf8Bytes } from "@groundwork/platform";
import type { SettingsIssue } from "../errors";
import type { ReadFile } from "../read-file";
import type { Reference } from "./preflight";
import { lookup, type Prov } from "./provenance";

/** Variables that `env:NAME` references and environment layers read. */
export type Vars = Readonly<Record<string, unknown>>;

/** An issue about a reference, located where the reference was written. */
export function refIssue(ref: Reference, message: string, prov: Prov): SettingsIssue {
  const source = lookup(prov, ref.path);
  return { code: "reference", path: ref.path, message, ...(source ? { source } : {}) };
}

function setRef(ref: Reference, value: string): void {
  (ref.container as Record<string | number, unknown>)[ref.key] = value;
}

/** Replaces an `env:NAME` reference by the variable's value, or reports it missing. */
export function resolveEnvRef(
  ref: Reference,
  vars: Vars,
  prov: Prov,
  issues: SettingsIssue[],
): void {
  const value = Object.hasOwn(vars, ref.target) ? vars[ref.target] : undefined;
  if (typeof value !== "string") {
    issues.push(refIssue(ref, `environment variable ${ref.target} is not set`, prov));
    return;
  }
  setRef(ref, value);
}

/** Replaces a `file:/path` reference by the file's content, or reports why it cannot. */
export async function resolveFileRef(
  ref: Reference,
  readFile: ReadFile | undefined,
  maxBytes: number,
  prov: Prov,
  issues: SettingsIssue[],
): Promise<void> {
  const text = await readText(readFile, ref.target, maxBytes, issues, ref, prov);
  if (text === undefined) return;
  if (exceedsUtf8Bytes(text, maxBytes)) {
    issues.push({
      ...refIssue(ref, `${ref.target} is larger than ${maxBytes} bytes`, prov),
      code: "too_large",
    });
    return;
  }
  // Files written by editors and secret managers usually end with a newline that is not part of the value.
  setRef(ref, text.replace(/\r?\n$/, ""));
}

/**
 * Reads a settings file or a referenced file; a failure becomes a `file` issue,
 * located at the reference when there is one.
 */
export async function readText(
  readFile: ReadFile | undefined,
  path: string,
  maxBytes: number,
  issues: SettingsIssue[],
  origin?: Reference,
  prov: Prov = {},
): Promise<string | undefined> {
  const fail = (message: string) => {
    if (origin === undefined) issues.push({ code: "file", path: [], message });
    else issues.push({ ...refIssue(origin, message, prov), code: "file" });
    return undefined;
  };
  if (!readFile) {
    return fail(`cannot read ${path}: this runtime has no file system; pass readFile or the text`);
  }
  try {
    return await readFile(path, { maxBytes });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : errorText(err);
    return fail(`cannot read ${path}: ${reason}`);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
