import type { Attributes } from "@opentelemetry/api";
import { SDK_INFO } from "@opentelemetry/core";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_TELEMETRY_SDK_LANGUAGE,
  ATTR_TELEMETRY_SDK_NAME,
  ATTR_TELEMETRY_SDK_VERSION,
} from "@opentelemetry/semantic-conventions";

/**
 * Options of {@link createServiceResource}.
 *
 * @example
 * ```ts
 * const options: ServiceResourceOptions = { serviceName: "checkout", serviceVersion: "1.4.2" };
 * ```
 */
export interface ServiceResourceOptions {
  /** `service.name`: the logical name of the service. Required. */
  serviceName: string;
  /** `service.version`, when known. Default: not set. */
  serviceVersion?: string;
  /**
   * More resource attributes (`deployment.environment.name`, `service.instance.id`…).
   * They cannot override `service.name`, `telemetry.sdk.*`, nor `service.version` when
   * `serviceVersion` is given. Default none.
   */
  attributes?: Attributes;
}

/**
 * Builds the OpenTelemetry `Resource` that describes this service: `service.name`,
 * `service.version` and `telemetry.sdk.name/language/version` (the OpenTelemetry SDK that
 * records the spans), plus `telemetry.distro.name: "groundwork"`.
 *
 * Give it to the tracer provider; the provider stamps it on every span and the OTLP
 * exporter sends it with each batch, as the OpenTelemetry SDK does.
 *
 * @param options - service name and version, and extra attributes (default none)
 * @returns a resource with no asynchronous attributes
 * @example
 * ```ts
 * const provider = new BasicTracerProvider({
 *   resource: createServiceResource({ serviceName: "checkout", serviceVersion: "1.4.2" }),
 *   spanProcessors: [createBatchSpanProcessor(createOtlpTraceExporter())],
 * });
 * ```
 */
export function createServiceResource(options: ServiceResourceOptions): Resource {
  const attributes: Attributes = {
    ...options.attributes,
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_TELEMETRY_SDK_NAME]: SDK_INFO[ATTR_TELEMETRY_SDK_NAME],
    [ATTR_TELEMETRY_SDK_LANGUAGE]: SDK_INFO[ATTR_TELEMETRY_SDK_LANGUAGE],
    [ATTR_TELEMETRY_SDK_VERSION]: SDK_INFO[ATTR_TELEMETRY_SDK_VERSION],
    "telemetry.distro.name": "groundwork",
  };
  if (options.serviceVersion !== undefined)
    attributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  return resourceFromAttributes(attributes);
}
