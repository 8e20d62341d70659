import { useOtlpReceiver } from "@groundwork/test-harness";
import { describe, expect, it } from "vitest";
import { memorySink } from "../src/logging/sinks";
import { createTelemetry } from "../src/telemetry";
import { span } from "../src/tracing/span";

const receiver = useOtlpReceiver();

describe("OTEL_* variables through the env option", () => {
  it("export to the endpoint, with the headers, protocol, service name and resource they name", async () => {
    const telemetry = createTelemetry({
      logging: { sink: memorySink() },
      env: {
        OTEL_SERVICE_NAME: "from-env",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=staging,team=pay%20ments",
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`,
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme,authorization=Bearer%20t0ken",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "60000",
      },
    });
    await telemetry.run(() => span("work", () => undefined));
    await telemetry.forceFlush();
    const [received] = await receiver.waitForSpans(1);
    expect(received?.name).toBe("work");
    expect(received?.resource).toMatchObject({
      "service.name": "from-env",
      "deployment.environment.name": "staging",
      team: "pay ments",
    });
    const [request] = receiver.requests();
    expect(request?.path).toBe("/v1/traces");
    expect(request?.encoding).toBe("json");
    expect(request?.headers["x-tenant"]).toBe("acme");
    expect(request?.headers.authorization).toBe("Bearer t0ken");
    await telemetry.shutdown();
  });

  it("let code options win over the environment", async () => {
    const telemetry = createTelemetry({
      serviceName: "from-code",
      logging: { sink: memorySink() },
      tracing: { exporter: { endpoint: receiver.endpoint("traces"), protocol: "http/protobuf" } },
      env: {
        OTEL_SERVICE_NAME: "from-env",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:9/v1/traces",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme",
        OTEL_TRACES_SAMPLER: "always_off",
      },
    });
    await telemetry.run(() => span("coded", () => undefined));
    await telemetry.forceFlush();
    expect(telemetry.stats().spans?.exported).toBe(0);
    await telemetry.shutdown();
    const coded = createTelemetry({
      serviceName: "from-code",
      logging: { sink: memorySink() },
      tracing: {
        samplingRatio: 1,
        exporter: { endpoint: receiver.endpoint("traces"), protocol: "http/protobuf" },
      },
      env: {
        OTEL_SERVICE_NAME: "from-env",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme",
        OTEL_TRACES_SAMPLER: "always_off",
      },
    });
    await coded.run(() => span("coded", () => undefined));
    await coded.forceFlush();
    const [received] = await receiver.waitForSpans(1);
    expect(received?.resource["service.name"]).toBe("from-code");
    expect(receiver.requests()[0]?.encoding).toBe("protobuf");
    expect(receiver.requests()[0]?.headers["x-tenant"]).toBe("acme");
    await coded.shutdown();
  });
});
