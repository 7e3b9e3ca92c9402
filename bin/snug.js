#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the prepare script) or `npm run build`.
import { main } from '../dist/daemon/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`snug: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
