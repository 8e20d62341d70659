#!/usr/bin/env node
import { runCli } from "./cli";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`groundwork-settings: ${String(err)}\n`);
    process.exitCode = 2;
  },
);
