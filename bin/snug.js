#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the prepare script) or `npm run build`.
// The line above (run as `snug`, `npx snug` or ./bin/snug.js) caps V8's young generation at 4 MiB
// semi-spaces (default: up to 16 MiB each) and glibc at 2 malloc arenas (default: 8 per core):
// a pub allocates short-lived buffers fast from several threads, and these two kept ~20 MiB of
// its peak RSS while serving (bench/README.md, pub-memory). `node bin/snug.js` runs without them.
import { main } from '../dist/daemon/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`snug: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
