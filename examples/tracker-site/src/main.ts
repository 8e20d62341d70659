// The tracker example: `pnpm start:tracker` at the repository root (after `pnpm build`).
// PORT picks the port (default 8080); TRACKER_MMDB takes MMDB files for geo, separated
// by commas (e.g. GeoLite2-City.mmdb,GeoLite2-ASN.mmdb).
import { readFileSync } from "node:fs";
import { createMmdbGeo } from "@groundwork/tracker/mmdb";
import { startSite } from "./site";

const files = (process.env.TRACKER_MMDB ?? "").split(",").filter((f) => f !== "");
const geo = files.length === 0 ? undefined : createMmdbGeo(files.map((f) => readFileSync(f)));
const site = await startSite({
  port: Number(process.env.PORT ?? 8080),
  ...(geo === undefined ? {} : { geo }),
});
const { url } = site.server;
process.stderr.write(
  `Groundwork tracker example\n  pages      ${url}/  ${url}/pricing  ${url}/app\n  dashboard  ${url}/dashboard\n  geo        ${files.length === 0 ? "none (set TRACKER_MMDB)" : files.join(", ")}\nServing until Ctrl-C; one JSON line per tracked event follows.\n`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void site.server.close().then(() => process.exit(0));
  });
}
