import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { isSettings, type Settings, type SettingsError } from "@groundwork/settings";
import { nodeReadFile } from "./index";

/** Where the CLI writes and where it resolves relative paths. */
export interface CliIo {
  /** Receives normal output (generated YAML, JSON Schema). */
  readonly stdout: { write(text: string): unknown };
  /** Receives errors and status lines. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Directory relative module and file paths start from. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Variables for `--env-prefix` and `env:` references. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const USAGE = `Usage:
  groundwork-settings generate <module> [--export <name>] [--schema-url <url>]
  groundwork-settings schema <module> [--export <name>]
  groundwork-settings check <module> -c <file.yaml> [-c <more.yaml>] [--env-prefix <PREFIX_>] [--set key.path=value]

<module> is a JavaScript module exporting a settings definition (from defineSettings):
its default export, the export named by --export, or its only settings export.

Exit codes: 0 success, 1 invalid settings, 2 usage or module errors.
`;

class UsageError extends Error {}

/**
 * Runs the `groundwork-settings` command line.
 *
 * @param argv - arguments after the program name
 * @param io - output streams, working directory and environment (default: the process's)
 * @returns the exit code: 0 success, 1 invalid settings, 2 usage or module errors
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2));
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        export: { type: "string" },
        "schema-url": { type: "string" },
        config: { type: "string", short: "c", multiple: true },
        "env-prefix": { type: "string" },
        set: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
    const [command, modulePath, ...extra] = positionals;
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (command === undefined || modulePath === undefined || extra.length > 0) {
      throw new UsageError(command === undefined ? "missing command" : "expected one module path");
    }
    const settings = await loadDefinition(resolve(cwd, modulePath), values.export);
    switch (command) {
      case "generate":
        io.stdout.write(
          settings.defaultYaml(
            values["schema-url"] !== undefined ? { schemaUrl: values["schema-url"] } : {},
          ),
        );
        return 0;
      case "schema":
        io.stdout.write(`${JSON.stringify(settings.jsonSchema(), null, 2)}\n`);
        return 0;
      case "check": {
        const files = values.config ?? [];
        if (files.length === 0) throw new UsageError("check needs at least one -c <file.yaml>");
        await settings.load({
          files,
          // Paths stay as typed so errors show them that way; reading resolves them.
          readFile: (path, options) => nodeReadFile(resolve(cwd, path), options),
          vars: io.env ?? process.env,
          ...(values["env-prefix"] !== undefined ? { env: { prefix: values["env-prefix"] } } : {}),
          args: (values.set ?? []).flatMap((s) => ["--set", s]),
        });
        io.stderr.write(`✔ ${files.join(", ")}: settings are valid\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (isSettingsError(err)) {
      io.stderr.write(`${err.format({ color: io.stderr.isTTY === true })}\n`);
      return err.code === "ERR_SETTINGS_SCHEMA" ? 2 : 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`groundwork-settings: ${message}\n`);
    if (
      err instanceof UsageError ||
      (err as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      io.stderr.write(`\n${USAGE}`);
    }
    return 2;
  }
}

async function loadDefinition(path: string, name: string | undefined): Promise<Settings<unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot import ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (name !== undefined) {
    const found = mod[name];
    if (!isSettings(found)) throw new Error(`${path} has no settings export named "${name}"`);
    return found;
  }
  if (isSettings(mod.default)) return mod.default;
  const candidates = Object.entries(mod).filter(([, v]) => isSettings(v));
  if (candidates.length === 1) return candidates[0]![1] as Settings<unknown>;
  if (candidates.length === 0)
    throw new Error(`${path} exports no settings definition (from defineSettings)`);
  throw new Error(
    `${path} exports several settings definitions (${candidates.map(([k]) => k).join(", ")}); choose one with --export`,
  );
}

/** Recognises errors from any copy of the package (a bundled app may carry its own). */
function isSettingsError(err: unknown): err is SettingsError {
  return (
    err instanceof Error &&
    err.name === "SettingsError" &&
    typeof (err as Partial<SettingsError>).format === "function"
  );
}
