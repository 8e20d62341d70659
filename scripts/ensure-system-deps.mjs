// Integration tests talk to real components: redis-server, Prometheus (and
// promtool), the Prometheus Pushgateway and Chromium. This checks they are installed and, on a
// Debian machine where we run as root, installs the missing ones with apt-get.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";

const needs = [
  { bin: "/usr/bin/redis-server", pkg: "redis-server" },
  { bin: "/usr/bin/promtool", pkg: "prometheus" },
  { bin: "/usr/bin/prometheus", pkg: "prometheus" },
  { bin: "/usr/bin/prometheus-pushgateway", pkg: "prometheus-pushgateway" },
  // The tracker's end-to-end tests drive a real headless browser through playwright-core.
  { bin: "/usr/bin/chromium", pkg: "chromium" },
];
const absent = () => needs.filter((n) => !existsSync(n.bin));
const packagesOf = (list) => [...new Set(list.map((n) => n.pkg))];

const missing = packagesOf(absent());
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
// The tests start their own servers on free ports; the packages' init scripts must not
// start system-wide Redis and Prometheus daemons. invoke-rc.d asks policy-rc.d first, and
// exit code 101 means "action forbidden". A policy the machine already has is left alone.
const POLICY = "/usr/sbin/policy-rc.d";
const ownPolicy = !existsSync(POLICY);
if (ownPolicy) writeFileSync(POLICY, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
try {
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    stdio: "inherit",
    env,
  });
} finally {
  if (ownPolicy) rmSync(POLICY, { force: true });
}

const stillAbsent = absent();
if (stillAbsent.length > 0) {
  console.error(
    `apt-get installed ${missing.join(", ")}, but these binaries are still missing: ` +
      `${stillAbsent.map((n) => `${n.bin} (package ${n.pkg})`).join(", ")}.\n` +
      "The integration tests start them from these paths; check the packages' contents " +
      "with `dpkg -L <package>`.",
  );
  process.exit(1);
}
