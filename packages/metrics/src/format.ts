/** The two exposition formats. */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** Content type of the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
/** Content type of OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/**
 * Picks the exposition format for an `Accept` header: OpenMetrics 1.0 when the
 * client accepts `application/openmetrics-text` (version 1.0.0 or unspecified)
 * at least as much as plain text, otherwise the Prometheus text format.
 *
 * @param accept - the request's `Accept` header; missing or empty means text
 * @returns `"openmetrics"` or `"prometheus"`
 * @example
 * ```ts
 * negotiateFormat("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"); // "openmetrics"
 * negotiateFormat("text/plain"); // "prometheus"
 * ```
 */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  if (!accept) return "prometheus";
  let om = 0;
  let text = 0;
  for (const range of accept.split(",")) {
    const [rawType = "", ...params] = range.split(";");
    const type = rawType.trim().toLowerCase();
    let q = 1;
    let version: string | undefined;
    for (const p of params) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, "");
      if (key === "q") {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      } else if (key === "version") {
        version = value;
      }
    }
    if (type === "application/openmetrics-text") {
      if (version === undefined || version === "1.0.0") om = Math.max(om, q);
    } else if (type === "text/plain" || type === "text/*" || type === "*/*") {
      text = Math.max(text, q);
    }
  }
  return om > 0 && om >= text ? "openmetrics" : "prometheus";
}

/**
 * The content type that goes with a format.
 *
 * @param format - `"prometheus"` or `"openmetrics"`
 * @returns the `Content-Type` header value
 * @example
 * ```ts
 * contentTypeOf("openmetrics"); // "application/openmetrics-text; version=1.0.0; charset=utf-8"
 * ```
 */
export function contentTypeOf(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}
