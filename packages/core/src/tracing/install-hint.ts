import { type Context, ProxyTracerProvider, trace } from "@opentelemetry/api";
import { TRACER_KEY } from "./context-keys";
import { TRACER_NAME } from "./tracer";

// A span started outside every telemetry context falls back to the global
// tracer provider; when `createTelemetry` made a tracer but `install()` was
// never called, that provider is OpenTelemetry's no-op and the span is lost
// without a word. The newest uninstalled telemetry leaves a warning here,
// written once, at the first such span.

let warnUninstalled: ((spanName: string) => void) | undefined;

/**
 * Records the warning to give when a span is dropped for want of `install()`,
 * or clears it (`undefined`) once an instance is installed.
 */
export function setUninstalledTelemetry(warn: ((spanName: string) => void) | undefined): void {
  warnUninstalled = warn;
}

/** Warns once when a span about to start in `parent` can only reach a no-op global provider. */
export function checkInstalled(parent: Context, spanName: string): void {
  if (warnUninstalled === undefined || parent.getValue(TRACER_KEY) !== undefined) return;
  const provider = trace.getTracerProvider();
  // A registered global provider shows as the proxy's delegate: spans are recorded there.
  if (!(provider instanceof ProxyTracerProvider)) return;
  if (provider.getDelegateTracer(TRACER_NAME) !== undefined) return;
  const warn = warnUninstalled;
  warnUninstalled = undefined;
  try {
    warn(spanName);
  } catch {}
}
