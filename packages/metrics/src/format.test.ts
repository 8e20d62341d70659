import { describe, expect, it } from "vitest";
import { contentTypeOf, negotiateFormat } from "./format";

describe("negotiateFormat", () => {
  it.each([
    [undefined, "prometheus"],
    ["", "prometheus"],
    ["text/plain", "prometheus"],
    ["*/*", "prometheus"],
    ["application/json", "prometheus"],
    ["application/openmetrics-text", "openmetrics"],
    ["application/openmetrics-text; version=1.0.0", "openmetrics"],
    ["application/openmetrics-text;version=0.0.1", "prometheus"],
    ["application/openmetrics-text;version=2.0.0,text/plain;q=0.5", "prometheus"],
    // What Prometheus 2.x sends.
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["text/plain;q=1, application/openmetrics-text;q=0.5", "prometheus"],
    ["application/openmetrics-text;q=0", "prometheus"],
    ['APPLICATION/OPENMETRICS-TEXT; version="1.0.0"; q=0.9, text/plain; q=0.8', "openmetrics"],
  ] as const)("%j → %s", (accept, expected) => {
    expect(negotiateFormat(accept)).toBe(expected);
  });

  it("maps formats to content types", () => {
    expect(contentTypeOf("openmetrics")).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    expect(contentTypeOf("prometheus")).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});
