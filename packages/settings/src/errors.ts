/** Where a settings value came from. */
export type SettingsSource =
  | {
      /** A YAML file (or text passed with a name). */
      readonly kind: "file";
      /** The file name as given to `load()` / `parse()`. */
      readonly file: string;
      /** 1-based line. */
      readonly line: number;
      /** 1-based column. */
      readonly column: number;
    }
  | {
      /** An environment variable. */
      readonly kind: "env";
      /** The variable's name, e.g. `APP_TELEMETRY__TRACING__ENABLED`. */
      readonly name: string;
    }
  | {
      /** A command-line override. */
      readonly kind: "arg";
      /** The `key=value` text as given after `--set`. */
      readonly arg: string;
    };

/**
 * What went wrong with one value. `invalid` comes from the schema; the others
 * are found before the schema runs (input that is unsafe or cannot be read).
 */
export type SettingsIssueCode =
  | "invalid"
  | "unknown_key"
  | "forbidden_key"
  | "non_finite"
  | "yaml"
  | "too_large"
  | "alias_limit"
  | "too_deep"
  | "file"
  | "reference";

/** One problem found while loading settings. */
export interface SettingsIssue {
  /** Stable category of the problem. */
  readonly code: SettingsIssueCode;
  /** Key path from the root, e.g. `["telemetry", "tracing", "sampling_ratio"]`. */
  readonly path: readonly (string | number)[];
  /** Human-readable explanation. */
  readonly message: string;
  /** What the schema wanted, e.g. `number ≤ 1`, when it can be said briefly. */
  readonly expected?: string;
  /** What was found, rendered briefly (secrets are never shown). */
  readonly received?: string;
  /** Where the offending value was written. */
  readonly source?: SettingsSource;
}

/** Stable error codes of {@link SettingsError}. */
export type SettingsErrorCode =
  /** The merged settings do not match the schema (wrong types, unknown keys…). */
  | "ERR_SETTINGS_INVALID"
  /** A source could not be used: malformed YAML, too large, unsafe, unreadable. */
  | "ERR_SETTINGS_SOURCE"
  /** The schema itself cannot be used (no JSON Schema, invalid defaults…). */
  | "ERR_SETTINGS_SCHEMA"
  /** An option passed to a function of this package is invalid; thrown when it is called. */
  | "ERR_INVALID_OPTION"
  /** `logging.output` names an output this runtime cannot provide (a file, without `sinkFor`). */
  | "ERR_UNSUPPORTED_LOG_OUTPUT";

/** A `[start, end)` range of offsets in a source text. */
export type SecretSpan = readonly [start: number, end: number];

/** What secret values are printed as, everywhere. */
export const REDACTED = "[REDACTED]";

/** Options of {@link SettingsError.format}. */
export interface FormatOptions {
  /** Use ANSI colours. Default `false`. */
  readonly color?: boolean;
  /** Show the offending source line under each issue when the text is known. Default `true`. */
  readonly frames?: boolean;
}

/** Issues that mean a source could not be used safely; the schema does not run after them. */
export const SOURCE_CODES: ReadonlySet<SettingsIssueCode> = new Set([
  "yaml",
  "too_large",
  "alias_limit",
  "too_deep",
  "file",
  "forbidden_key",
  "non_finite",
]);

/**
 * Thrown when settings cannot be loaded. It carries every problem found, not
 * just the first, each with its key path and source location.
 *
 * @example
 * ```ts
 * try {
 *   Settings.parse("port: nope", { name: "app.yaml" });
 * } catch (err) {
 *   if (err instanceof SettingsError) console.error(err.format({ color: true }));
 * }
 * ```
 */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
  /** Stable code for programmatic handling. */
  readonly code: SettingsErrorCode;
  /** Every problem found, in source order. */
  readonly issues: readonly SettingsIssue[];
  readonly #texts: ReadonlyMap<string, string>;
  readonly #secrets: ReadonlyMap<string, readonly SecretSpan[]>;

  /**
   * @param issues - the problems found (at least one)
   * @param options - `code` (default derived from the issues), `cause`, `texts`
   *   (file name → content, used to print source lines; default none) and `secrets`
   *   (file name → `[start, end)` offsets of secret values, printed as `[REDACTED]`; default none)
   */
  constructor(
    issues: readonly SettingsIssue[],
    options: {
      readonly code?: SettingsErrorCode;
      readonly cause?: unknown;
      readonly texts?: ReadonlyMap<string, string>;
      readonly secrets?: ReadonlyMap<string, readonly SecretSpan[]>;
    } = {},
  ) {
    super(summarise(issues), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.issues = issues;
    this.code =
      options.code ??
      (issues.some((i) => SOURCE_CODES.has(i.code))
        ? "ERR_SETTINGS_SOURCE"
        : "ERR_SETTINGS_INVALID");
    this.#texts = options.texts ?? new Map();
    this.#secrets = options.secrets ?? new Map();
  }

  /**
   * Renders the issues for a terminal: one block per issue with its key path,
   * what was expected and found, the location, and the source line (secret
   * values in it shown as `[REDACTED]`).
   *
   * @param options - `color` (default `false`), `frames` (default `true`)
   * @returns multi-line text without a trailing newline
   * @example
   * ```ts
   * process.stderr.write(`${err.format({ color: process.stderr.isTTY })}\n`);
   * ```
   */
  format(options: FormatOptions = {}): string {
    const color = options.color === true;
    const paint = (code: string, text: string) =>
      color ? `\u001b[${code}m${text}\u001b[0m` : text;
    const count = this.issues.length;
    const lines = [paint("1", `Invalid settings: ${count} problem${count === 1 ? "" : "s"}`)];
    for (const issue of this.issues) {
      lines.push("");
      lines.push(
        `${paint("31", "✖")} ${paint("1", formatPath(issue.path))}: ${issueDetail(issue)}`,
      );
      if (issue.source) {
        lines.push(`    ${paint("2", "at")} ${paint("36", formatSource(issue.source))}`);
        if (options.frames !== false && issue.source.kind === "file") {
          const file = issue.source.file;
          lines.push(
            ...frame(this.#texts.get(file), this.#secrets.get(file) ?? [], issue.source, paint),
          );
        }
      }
    }
    return lines.join("\n");
  }
}

function frame(
  text: string | undefined,
  secrets: readonly SecretSpan[],
  source: { readonly line: number; readonly column: number },
  paint: (code: string, text: string) => string,
): string[] {
  if (text === undefined) return [];
  let start = 0;
  for (let line = 1; line < source.line; line++) {
    const next = text.indexOf("\n", start);
    if (next === -1) return [];
    start = next + 1;
  }
  const newline = text.indexOf("\n", start);
  const end = newline === -1 ? text.length : newline;
  let line = "";
  let caretAt = -1;
  let at = start;
  const caret = start + source.column - 1;
  // Secrets on the line, clipped to it, in order; overlapping spans merge.
  const hidden = secrets
    .map(([a, b]) => [Math.max(a, start), Math.min(b, end)] as const)
    .filter(([a, b]) => a < b)
    .sort((x, y) => x[0] - y[0]);
  for (const [a, b] of hidden) {
    if (b <= at) continue;
    const from = Math.max(a, at);
    if (caretAt === -1 && caret < from) caretAt = line.length + caret - at;
    line += text.slice(at, from);
    if (caretAt === -1 && caret < b) caretAt = line.length;
    line += REDACTED;
    at = b;
  }
  if (caretAt === -1) caretAt = line.length + Math.max(0, caret - at);
  line += text.slice(at, end);
  line = line.replace(/\r$/, "");
  const gutter = String(source.line);
  const shown = line.length > 120 ? `${line.slice(0, 117)}...` : line;
  caretAt = Math.min(caretAt, shown.length);
  return [
    `    ${paint("2", `${gutter} |`)} ${shown}`,
    `    ${paint("2", `${" ".repeat(gutter.length)} |`)} ${" ".repeat(caretAt)}${paint("31", "^")}`,
  ];
}

function summarise(issues: readonly SettingsIssue[]): string {
  if (issues.length === 0) return "Invalid settings";
  if (issues.length === 1) return `Invalid settings: ${formatIssue(issues[0]!)}`;
  return `Invalid settings (${issues.length} problems):\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`;
}

function issueDetail(issue: SettingsIssue): string {
  if (issue.expected !== undefined) {
    return `expected ${issue.expected}, got ${issue.received ?? "nothing"}`;
  }
  return issue.message;
}

/**
 * One line per issue: `path: expected X, got Y (file:line:column)`.
 *
 * @param issue - the issue to render
 * @returns a single line
 * @example
 * ```ts
 * err.issues.map(formatIssue); // ["port: expected integer, got \"nope\" (app.yaml:1:7)"]
 * ```
 */
export function formatIssue(issue: SettingsIssue): string {
  const where = issue.source ? ` (${formatSource(issue.source)})` : "";
  const subject = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : "";
  return `${subject}${issueDetail(issue)}${where}`;
}

/**
 * Renders a source as `file:line:column`, `env NAME` or `--set key=value`.
 *
 * @param source - where a value came from
 * @returns a short label
 * @example
 * ```ts
 * formatSource({ kind: "file", file: "prod.yaml", line: 7, column: 5 }); // "prod.yaml:7:5"
 * ```
 */
export function formatSource(source: SettingsSource): string {
  switch (source.kind) {
    case "file":
      return `${source.file}:${source.line}:${source.column}`;
    case "env":
      return `env ${source.name}`;
    case "arg":
      return `--set ${source.arg}`;
  }
}

/**
 * Renders a key path as `a.b[0].c`; keys that are not identifiers are quoted.
 *
 * @param path - keys and indices from the root
 * @returns the path text, `(root)` for an empty path
 * @example
 * ```ts
 * formatPath(["endpoints", "main", "routes", "/hello"]); // 'endpoints.main.routes["/hello"]'
 * ```
 */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
