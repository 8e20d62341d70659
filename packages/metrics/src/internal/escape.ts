// Exposition escaping. Label values escape backslash, double quote and line
// feed in both formats; HELP escapes backslash and line feed, and OpenMetrics
// also escapes the double quote there.

const LABEL_SPECIAL = /[\\"\n]/;
const HELP_SPECIAL = /[\\\n]/;

export function escapeLabelValue(value: string): string {
  if (!LABEL_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function escapeHelpText(help: string): string {
  if (!HELP_SPECIAL.test(help)) return help;
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function escapeHelpOpenMetrics(help: string): string {
  return escapeLabelValue(help);
}

/** `a="x",b="y"` for the given names and (unescaped) values. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += `${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  }
  return out;
}

/** Numbers as both formats spell them: `NaN`, `+Inf`, `-Inf`, otherwise shortest round-trip. */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return `${v}`;
  if (Number.isNaN(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

/** OpenMetrics prefers `le` bounds written as floats (`1.0`, not `1`). */
export function formatLeOpenMetrics(le: number): string {
  if (!Number.isFinite(le)) return formatValue(le);
  return Number.isInteger(le) && Math.abs(le) < 1e21 ? `${le}.0` : `${le}`;
}
