/**
 * A pub in a process of its own, for tests that kill it: `node dist/test/helpers/pub-child.js
 * --home DIR [--limits JSON]`. Starts a PubServer on 127.0.0.1 (any free port) with the given
 * limits, prints `pub listening: ws://HOST:PORT` like `snug pub --listen`, and stops cleanly on
 * SIGTERM/SIGINT (exit 0).
 */
import { parseArgs } from 'node:util';
import type { PubLimits } from '../../daemon/pub/constants.js';
import { PubServer } from '../../daemon/pub/server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' }, limits: { type: 'string' } } });
  if (!values.home) throw new Error('pub-child: --home DIR is required');
  const limits = values.limits ? (JSON.parse(values.limits) as Partial<PubLimits>) : {};
  const server = new PubServer({ home: values.home, listen: { host: '127.0.0.1', port: 0 }, limits });
  const { host, port } = await server.start();
  process.stdout.write(`pub listening: ws://${host}:${port}\n`);
  const stop = () => {
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`pub-child: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`pub-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
