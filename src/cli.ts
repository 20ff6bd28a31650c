#!/usr/bin/env node
// sluice's command line, the package's `bin`: runs src/cli/run.ts on the process's arguments
// and exits with its code once every connection is closed (docs/cli.md lists the commands).
import { runCli } from './cli/run.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
