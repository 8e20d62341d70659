import { describe, expect, it } from "vitest";
import { webServerSettings } from "./fixtures/web-server";

describe("web server settings (free-form maps)", () => {
  it("renders the golden default YAML", async () => {
    await expect(webServerSettings.defaultYaml()).toMatchFileSnapshot(
      "./fixtures/web-server.golden.yaml",
    );
  });

  it("repeats the entry type's docs inside every map entry", () => {
    const yaml = webServerSettings.defaultYaml();
    const count = (text: string) => yaml.split(text).length - 1;
    // Two endpoints, each with its own copy of the endpoint docs.
    expect(count("# Address the endpoint listens on.")).toBe(2);
    expect(count("# One listening endpoint.")).toBe(2);
    // Two routes under `main`, each with its own copy of the route docs.
    expect(count("# HTTP status code of the response.")).toBe(2);
    expect(yaml).toContain("tls_certificate: ~");
    expect(yaml).toContain("api_key: ~");
  });

  it("round-trips, and merges a file's routes into a new endpoint", () => {
    expect(webServerSettings.parse(webServerSettings.defaultYaml())).toEqual(
      webServerSettings.defaults(),
    );
    const value = webServerSettings.parse(
      'endpoints:\n  extra:\n    addr: "0.0.0.0:9000"\n    routes:\n      /ping:\n        response: pong\n',
    );
    expect(value.endpoints.extra).toEqual({
      addr: "0.0.0.0:9000",
      routes: { "/ping": { status_code: 200, response: "pong" } },
    });
    expect(value.endpoints.main?.routes["/hello"]?.status_code).toBe(200);
  });
});
