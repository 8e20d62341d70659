import { parseArgs } from "node:util";

/** What the command line asked for. */
export type CliRequest =
  | { kind: "help" }
  | { kind: "generate" }
  | { kind: "run"; configs: string[]; args: string[] }
  | { kind: "usage-error"; message: string };

/** The `--help` text of a service. */
export function usage(name: string, envPrefix: string): string {
  return `Usage: ${name} [-c <file.yaml>]... [--set <key.path>=<value>]...
       ${name} -g | --generate
       ${name} -h | --help

Options:
  -c, --config <file>     Load a YAML settings file; repeatable, later files win.
      --set <key>=<value> Override one setting, e.g. --set telemetry.logging.verbosity=DEBUG; repeatable.
  -g, --generate          Print the annotated default settings as YAML and exit.
  -h, --help              Print this help and exit.

Settings are merged in this order: defaults, files, environment variables
prefixed ${envPrefix} (nested keys joined by "__"), --set options.
SIGTERM or SIGINT stops the service gracefully; a second one stops it at once.
`;
}

/**
 * Parses a service's command line.
 *
 * @param argv - arguments after the script; a leading `--` (as `pnpm start -- …` passes) is skipped
 * @returns what to do
 */
export function parseCommandLine(argv: readonly string[]): CliRequest {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  try {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c", multiple: true },
        set: { type: "string", multiple: true },
        generate: { type: "boolean", short: "g" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) return { kind: "help" };
    if (values.generate === true) return { kind: "generate" };
    for (const set of values.set ?? []) {
      if (!/^[^=]+=/.test(set)) {
        return { kind: "usage-error", message: `--set expects key.path=value, got "${set}"` };
      }
    }
    return { kind: "run", configs: values.config ?? [], args };
  } catch (error) {
    return { kind: "usage-error", message: error instanceof Error ? error.message : String(error) };
  }
}
