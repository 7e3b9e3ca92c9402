/**
 * The pub program (runPub) in-process: a newcomer without internet sees one warning that tor
 * cannot reach the Tor network, with tor's reason and how to try offline.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import type { LogFields } from '../../../daemon/log.js';
import { runPub } from '../../../daemon/pub/run.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { unreachableNetworkTorrc } from '../../helpers/testnet.js';

describe('daemon/pub/run', function () {
  this.timeout(60_000);
  let dir: string | undefined;

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('warns once that tor cannot reach the Tor network when bootstrap stalls, naming tor\'s warning and snug testnet', async () => {
    dir = await makeTempDir('pub-run-stall');
    const events: { event: string; fields: LogFields }[] = [];
    const announced: string[] = [];
    const controller = new AbortController();
    const running = runPub(
      {
        home: join(dir, 'home'),
        tor: { mode: 'spawn', torBin: 'tor', extraConfigFile: await unreachableNetworkTorrc(dir) },
        limits: {},
        torStallMs: 2_000,
      },
      {
        announce: (line) => announced.push(line),
        log: (event, fields = {}) => {
          events.push({ event, fields });
          // Stop a little after the first warning, to see that it came only once.
          if (event === 'tor-unreachable') setTimeout(() => controller.abort(), 2_500);
        },
      },
      { signal: controller.signal },
    );
    const guard = setTimeout(() => controller.abort(), 40_000);
    try {
      assert.equal(await running, 0);
    } finally {
      clearTimeout(guard);
    }
    const warnings = events.filter((e) => e.event === 'tor-unreachable');
    assert.equal(warnings.length, 1, JSON.stringify(events));
    const w = warnings[0]!.fields;
    assert.equal(w['level'], 'warn');
    assert.match(String(w['torWarning']), /CONNECTREFUSED/);
    assert.ok(String(w['message']).includes('snug testnet'));
    assert.deepEqual(announced, [], 'no address line');
    assert.ok(events.some((e) => e.event === 'tor-bootstrap'));
  });
});
