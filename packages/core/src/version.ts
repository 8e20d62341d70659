// Generated from package.json by scripts/write-version.mjs when the package is built.
/** The version of @groundwork/core, sent as the instrumentation scope version of its spans. */
export const VERSION = "0.0.0";
