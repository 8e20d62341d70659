import { type Browser, chromium } from "playwright-core";

/**
 * The flags every browser test runs Chromium with: headless, no sandbox (CI runs as
 * root in a container), no GPU, and no background requests of Chromium's own, so a
 * test that counts requests only sees the page's.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
] as const;

/** Where the Debian `chromium` package installs the browser (`.ci/run` installs it). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Launches the system's headless Chromium through playwright-core. Close it in `afterAll`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_FLAGS],
    timeout: 20_000,
  });
}
