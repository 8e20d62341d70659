import type { MetricFamilySnapshot } from "../snapshot";
import {
  escapeHelpOpenMetrics,
  escapeHelpText,
  escapeLabelValue,
  formatLeOpenMetrics,
  formatValue,
} from "./escape";
import type { AnyFamilyCore } from "./families";

/** Per-render facts that come from the registry's configuration. */
export interface RenderScope {
  /** `svc_` in metric_prefix mode, else empty. */
  readonly prefix: string;
  /** `service="svc"` in label mode, else empty. */
  readonly serviceLabel: string;
}

function typeSuffix(type: string): string {
  return type === "counter" ? "_total" : type === "info" ? "_info" : "";
}

function open(scope: RenderScope, labelStr: string): string {
  if (scope.serviceLabel === "") return labelStr === "" ? "" : `{${labelStr}}`;
  return labelStr === "" ? `{${scope.serviceLabel}}` : `{${scope.serviceLabel},${labelStr}}`;
}

/** Renders one of our own families, using the label strings cached on each series. */
export function renderFamily(
  family: AnyFamilyCore,
  scope: RenderScope,
  openMetrics: boolean,
): string {
  const base = scope.prefix + family.name;
  const plain = scope.serviceLabel === "";
  let out: string;
  if (openMetrics) {
    out = `# TYPE ${base} ${family.type}\n# HELP ${base} ${family.helpOpenMetrics}\n`;
    if (family.unit !== undefined) out += `# UNIT ${base} ${family.unit}\n`;
  } else {
    const exposed = base + typeSuffix(family.type);
    const type = family.type === "info" ? "gauge" : family.type;
    out = `# HELP ${exposed} ${family.helpText}\n# TYPE ${exposed} ${type}\n`;
  }
  switch (family.type) {
    case "counter": {
      const name = `${base}_total`;
      const created = `${base}_created`;
      for (const s of family.all()) {
        const labels = plain ? s.braced : open(scope, s.labelStr);
        out += `${name}${labels} ${formatValue(s.value)}\n`;
        if (openMetrics) out += `${created}${labels} ${s.createdText}\n`;
      }
      return out;
    }
    case "gauge": {
      for (const s of family.all()) {
        out += `${base}${plain ? s.braced : open(scope, s.labelStr)} ${formatValue(s.value)}\n`;
      }
      return out;
    }
    case "info": {
      const name = `${base}_info`;
      for (const s of family.all())
        out += `${name}${plain ? s.braced : open(scope, s.labelStr)} 1\n`;
      return out;
    }
    case "histogram": {
      const bounds = family.bounds;
      const les = bounds.map(
        (b) => `le="${openMetrics ? formatLeOpenMetrics(b) : formatValue(b)}"} `,
      );
      const bucket = `${base}_bucket{`;
      for (const s of family.all()) {
        const inner = plain
          ? s.labelStr
          : scope.serviceLabel + (s.labelStr === "" ? "" : `,${s.labelStr}`);
        const head = inner === "" ? bucket : `${bucket}${inner},`;
        const counts = s.counts;
        let cumulative = 0;
        for (let i = 0; i < les.length; i++) {
          cumulative += counts[i] as number;
          out += `${head}${les[i]}${cumulative}\n`;
        }
        const labels = inner === "" ? "" : `{${inner}}`;
        out += `${head}le="+Inf"} ${s.count}\n${base}_sum${labels} ${formatValue(s.sum)}\n${base}_count${labels} ${s.count}\n`;
        if (openMetrics) out += `${base}_created${labels} ${s.createdText}\n`;
      }
      return out;
    }
  }
}

function pairs(labels: Readonly<Record<string, string>>): string {
  let out = "";
  for (const key in labels) {
    if (out !== "") out += ",";
    out += `${key}="${escapeLabelValue(String(labels[key]))}"`;
  }
  return out;
}

/**
 * Renders a family given as plain data (collectors, built-ins). `name` is the
 * exposed family name; labels already include the service label if any.
 */
export function renderSnapshot(family: MetricFamilySnapshot, openMetrics: boolean): string {
  const base = family.name;
  let out: string;
  if (openMetrics) {
    out = `# TYPE ${base} ${family.type}\n# HELP ${base} ${escapeHelpOpenMetrics(family.help)}\n`;
    if (family.unit !== undefined) out += `# UNIT ${base} ${family.unit}\n`;
  } else {
    const exposed = base + typeSuffix(family.type);
    out = `# HELP ${exposed} ${escapeHelpText(family.help)}\n# TYPE ${exposed} ${family.type === "info" ? "gauge" : family.type}\n`;
  }
  if (family.type === "histogram") {
    for (const s of family.samples) {
      const inner = pairs(s.labels);
      const head = inner === "" ? `${base}_bucket{` : `${base}_bucket{${inner},`;
      const labels = inner === "" ? "" : `{${inner}}`;
      for (const b of s.buckets) {
        out += `${head}le="${openMetrics ? formatLeOpenMetrics(b.le) : formatValue(b.le)}"} ${formatValue(b.count)}\n`;
      }
      out += `${head}le="+Inf"} ${formatValue(s.count)}\n${base}_sum${labels} ${formatValue(s.sum)}\n${base}_count${labels} ${formatValue(s.count)}\n`;
      if (openMetrics && s.created !== undefined) out += `${base}_created${labels} ${s.created}\n`;
    }
    return out;
  }
  const name = base + typeSuffix(family.type);
  for (const s of family.samples) {
    const inner = pairs(s.labels);
    const labels = inner === "" ? "" : `{${inner}}`;
    out += `${name}${labels} ${family.type === "info" ? "1" : formatValue(s.value)}\n`;
    if (openMetrics && family.type === "counter" && s.created !== undefined) {
      out += `${base}_created${labels} ${s.created}\n`;
    }
  }
  return out;
}
