import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../../../daemon/cli/main.js';
import { VERSION } from '../../../daemon/version.js';
import { captureIo } from '../../helpers/io.js';


describe('daemon/cli/main', () => {
  it('prints help and exits 0', async () => {
    const c = captureIo();
    assert.equal(await main(['--help'], c.io), 0);
    assert.match(c.out.join('\n'), /snug pub/);
  });

  it('exits 2 with one line on an unknown argument', async () => {
    const c = captureIo();
    assert.equal(await main(['--no-such-flag'], c.io), 2);
    assert.equal(c.err.length, 1);
  });

  it('reports the version that package.json declares', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });

  it('exits 2 when snug demo is given a tor of the user\'s (it runs its own network)', async () => {
    const c = captureIo();
    assert.equal(await main(['demo', '--tor-config', '/dev/null'], c.io), 2);
    assert.equal(c.err.length, 1);
    assert.match(c.err[0]!, /\(ERR_USAGE\)$/);
  });

  it('exits 2 when snug tui is given a development switch without --dev, before starting anything', async () => {
    const c = captureIo();
    assert.equal(await main(['tui', '--home', '/nonexistent/snug-home', '--transport', 'direct'], c.io), 2);
    assert.match(c.err[0]!, /\(ERR_USAGE\)$/);
  });
});

