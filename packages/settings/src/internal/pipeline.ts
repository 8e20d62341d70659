import { exceedsUtf8Bytes, processEnv } from "@groundwork/platform";
import { type SecretSpan, SettingsError, type SettingsIssue, SOURCE_CODES } from "../errors";
import type { ReadFile } from "../read-file";
import type { LoadOptions, ParseOptions } from "../settings";
import { toSettingsIssue } from "./issues";
import { clonePlain, type SchemaNode } from "./json-schema";
import { argsLayer, envLayer, type Layer, merge, skeleton } from "./layers";
import { preflight, type Reference } from "./preflight";
import { errorText, readText, refIssue, resolveEnvRef, resolveFileRef } from "./references";
import type { StandardResult, StandardSchema } from "./standard";
import { type Limits, parseYamlSource } from "./yaml-source";

/** What a definition fixes once: the schema, its JSON Schema and the limits. */
export interface PipelineConfig {
  readonly schema: StandardSchema;
  readonly root: SchemaNode;
  readonly limits: Limits;
  readonly reportUnknown: boolean;
}

/** The texts read in one load, kept to print source lines in errors, and where their secrets are. */
interface Sources {
  readonly texts: Map<string, string>;
  readonly secrets: Map<string, readonly SecretSpan[]>;
}

/** One run of the pipeline: every issue found so far and the texts they point into. */
interface Run {
  readonly issues: SettingsIssue[];
  readonly sources: Sources;
}

/**
 * The load pipeline of one definition: defaults ← sources (YAML texts, files or
 * an object) ← environment ← `--set`, then preflight checks, references, and the
 * schema. Every problem is collected; the schema does not run after a source
 * could not be used safely.
 */
export class Pipeline<T> {
  #skeleton: Record<string, unknown> | undefined;

  constructor(private readonly config: PipelineConfig) {}

  /** The settings when nothing is configured; fresh on each call, as callers may mutate them. */
  defaults(): T {
    const layer = this.base();
    return this.validated(syncResult(this.validate(layer.value)), layer, newRun());
  }

  /** The defaults as written in the JSON Schema, before the schema's own defaults apply. */
  base(): Layer {
    // Each load mutates its copy (dropping `~`, resolving references), so it gets a fresh one.
    this.#skeleton ??= skeleton(this.config.root, this.config.root);
    return { value: clonePlain(this.#skeleton) as Record<string, unknown>, prov: {} };
  }

  parse(input: string | Readonly<Record<string, unknown>>, options: ParseOptions): T {
    const run = newRun();
    const layers =
      typeof input === "string"
        ? this.textLayer(input, options.name ?? "<input>", run)
        : this.objectLayer(input, run);
    const { merged, refs } = this.prepare([...layers, ...this.overrides(options, run)], run);
    const vars = options.vars ?? processEnv();
    for (const ref of refs) {
      if (ref.kind === "file") {
        run.issues.push(
          refIssue(ref, "file: references are read by load(), not parse()", merged.prov),
        );
      } else resolveEnvRef(ref, vars, merged.prov, run.issues);
    }
    checkSources(run);
    return this.validated(syncResult(this.validate(merged.value)), merged, run);
  }

  async load(options: LoadOptions, readFile: ReadFile | undefined): Promise<T> {
    const run = newRun();
    const { limits } = this.config;
    const layers: Layer[] = [];
    for (const file of options.files ?? []) {
      if (typeof file !== "string") {
        layers.push(...this.textLayer(file.text, file.name, run));
        continue;
      }
      const text = await readText(readFile, file, limits.maxBytes, run.issues);
      if (text !== undefined) layers.push(...this.textLayer(text, file, run));
    }
    const { merged, refs } = this.prepare([...layers, ...this.overrides(options, run)], run);
    const vars = options.vars ?? processEnv();
    for (const ref of refs) {
      if (ref.kind === "env") resolveEnvRef(ref, vars, merged.prov, run.issues);
      else await resolveFileRef(ref, readFile, limits.maxBytes, merged.prov, run.issues);
    }
    checkSources(run);
    return this.validated(await this.validate(merged.value), merged, run);
  }

  /** Layers → one merged value with its references, or a thrown error when a source was unusable. */
  private prepare(layers: readonly Layer[], run: Run): { merged: Layer; refs: Reference[] } {
    const { root, reportUnknown, limits } = this.config;
    let merged = this.base();
    for (const layer of layers) merged = merge(merged, layer);
    const refs = preflight(
      merged.value,
      root,
      merged.prov,
      reportUnknown,
      limits.maxDepth,
      run.issues,
    );
    // Unknown keys were dropped, so the schema still runs and all problems are reported together.
    checkSources(run);
    return { merged, refs };
  }

  private overrides(options: ParseOptions, run: Run): Layer[] {
    const { root, limits, reportUnknown } = this.config;
    return [
      ...(options.env
        ? envLayer(
            {
              prefix: options.env.prefix,
              separator: options.env.separator ?? "__",
              vars: (options.vars ?? processEnv()) as Readonly<Record<string, string | undefined>>,
            },
            root,
            limits,
            reportUnknown,
            run.issues,
          )
        : []),
      ...(options.args ? argsLayer(options.args, root, limits, reportUnknown, run.issues) : []),
    ];
  }

  private textLayer(text: string, name: string, run: Run): Layer[] {
    const { limits, root } = this.config;
    const parsed = parseYamlSource(text, name, limits, { root });
    if (!exceedsUtf8Bytes(text, limits.maxBytes)) {
      run.sources.texts.set(name, text);
      run.sources.secrets.set(name, parsed.secrets);
    }
    run.issues.push(...parsed.issues);
    return parsed.value ? [{ value: parsed.value, prov: parsed.prov }] : [];
  }

  private objectLayer(input: Readonly<Record<string, unknown>>, run: Run): Layer[] {
    const { maxDepth } = this.config.limits;
    try {
      return [{ value: clonePlain(input, 0, maxDepth) as Record<string, unknown>, prov: {} }];
    } catch {
      run.issues.push({
        code: "too_deep",
        path: [],
        message: `nesting deeper than ${maxDepth} levels`,
      });
      return [];
    }
  }

  private validate(value: unknown): StandardResult<T> | Promise<StandardResult<T>> {
    try {
      const result = this.config.schema["~standard"].validate(value) as
        | StandardResult<T>
        | Promise<StandardResult<T>>;
      return result instanceof Promise ? result.catch(thrownByValidation<T>) : result;
    } catch (err) {
      return thrownByValidation(err);
    }
  }

  /** The schema's result, or a thrown error listing its issues after the ones found before. */
  private validated(result: StandardResult<T>, layer: Layer, run: Run): T {
    const { root } = this.config;
    const found = [
      ...run.issues,
      ...(result.issues ?? []).map((i) => toSettingsIssue(i, layer.value, root, layer.prov)),
    ];
    if (found.length > 0) throw runError(found, run.sources);
    return (result as { value: T }).value;
  }
}

function newRun(): Run {
  return { issues: [], sources: { texts: new Map(), secrets: new Map() } };
}

/** Stops the run when a source could not be used safely (malformed, too large, unsafe, unreadable). */
function checkSources(run: Run): void {
  if (run.issues.some((i) => SOURCE_CODES.has(i.code))) throw runError(run.issues, run.sources);
}

function runError(issues: readonly SettingsIssue[], sources: Sources): SettingsError {
  return new SettingsError(sortIssues(issues, sources.texts), sources);
}

/** Orders issues as a reader scans the files: by file (in load order), line, column. */
function sortIssues(
  issues: readonly SettingsIssue[],
  texts: ReadonlyMap<string, string>,
): SettingsIssue[] {
  const order = [...texts.keys()];
  const rank = (i: SettingsIssue): [number, number, number] =>
    i.source?.kind === "file"
      ? [order.indexOf(i.source.file), i.source.line, i.source.column]
      : [Number.MAX_SAFE_INTEGER, 0, 0];
  return issues
    .map((issue, index) => ({ issue, index, key: rank(issue) }))
    .sort(
      (a, b) =>
        a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.index - b.index,
    )
    .map((x) => x.issue);
}

/** A schema whose transform or refinement throws still yields a SettingsError. */
function thrownByValidation<T>(err: unknown): StandardResult<T> {
  return { issues: [{ message: `the schema threw while validating: ${errorText(err)}` }] };
}

function syncResult<T>(result: StandardResult<T> | Promise<StandardResult<T>>): StandardResult<T> {
  if (!(result instanceof Promise)) return result;
  // The rejection, if any, is reported by load(); here it only must not go unhandled.
  result.catch(() => {});
  throw new SettingsError(
    [
      {
        code: "invalid",
        path: [],
        message:
          "the schema did not validate synchronously (it is asynchronous, or it threw); load() awaits it and reports the cause",
      },
    ],
    { code: "ERR_SETTINGS_SCHEMA" },
  );
}
