// Integration tests talk to real components: redis-server, Prometheus (and
// promtool) and the Prometheus Pushgateway. This checks they are installed and, on a
// Debian machine where we run as root, installs the missing ones with apt-get.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const needs = [
  { bin: "/usr/bin/redis-server", pkg: "redis-server" },
  { bin: "/usr/bin/promtool", pkg: "prometheus" },
  { bin: "/usr/bin/prometheus", pkg: "prometheus" },
  { bin: "/usr/bin/prometheus-pushgateway", pkg: "prometheus-pushgateway" },
];

const missing = [...new Set(needs.filter((n) => !existsSync(n.bin)).map((n) => n.pkg))];
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = existsSync("/usr/bin/apt-get");
if (!isRoot || !hasApt) {
  console.error(
    `Missing system packages needed by the integration tests: ${missing.join(", ")}.\n` +
      `Install them with: sudo apt-get install -y ${missing.join(" ")}`,
  );
  process.exit(1);
}
console.log(`Installing system packages for the integration tests: ${missing.join(", ")}`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
  stdio: "inherit",
  env,
});
