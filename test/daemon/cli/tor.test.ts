import assert from 'node:assert/strict';
import { UsageError } from '../../../daemon/cli/errors.js';
import { main } from '../../../daemon/cli/main.js';
import { TOR_OPTION_FLAGS, torOptionsFrom } from '../../../daemon/cli/tor.js';
import { captureIo } from '../../helpers/io.js';

describe('daemon/cli/tor', () => {
  it('reports a Tor option the Tor layer refuses as a usage error naming its flag', () => {
    const cases: [Parameters<typeof torOptionsFrom>[0], string][] = [
      [{ 'tor-control': '127.0.0.1:9051' }, '--tor-control'],
      [{ 'tor-socks': '127.0.0.1:9050' }, '--tor-socks'],
      [{ 'tor-cookie': '/tmp/cookie' }, '--tor-cookie'],
      [{ 'tor-allow-password': true }, '--tor-allow-password'],
      [{ 'tor-bin': 'tor', 'tor-control': '127.0.0.1:9051', 'tor-socks': '127.0.0.1:9050' }, '--tor-bin'],
    ];
    for (const [args, flag] of cases) {
      assert.throws(() => torOptionsFrom(args), (err: unknown) => err instanceof UsageError && err.code === 'ERR_USAGE' && err.flag === flag, flag);
    }
  });

  it('names a flag for every Tor option', () => {
    assert.deepEqual(Object.values(TOR_OPTION_FLAGS).sort(), ['--tor-allow-password', '--tor-bin', '--tor-config', '--tor-control', '--tor-cookie', '--tor-socks']);
  });

  it('exits 2 naming ERR_USAGE for snug pub --tor-cookie without --tor-control', async () => {
    const c = captureIo();
    assert.equal(await main(['pub', '--home', '/nonexistent', '--tor-cookie', '/tmp/cookie'], c.io), 2);
    assert.equal(c.err.length, 1);
    assert.match(c.err[0]!, /^snug: --tor-cookie .*\(ERR_USAGE\)$/);
  });

  it('lists the attach-mode flags in the help of snug pub', async () => {
    const c = captureIo();
    assert.equal(await main(['pub', '--help'], c.io), 0);
    for (const flag of ['--tor-control', '--tor-socks', '--tor-cookie', '--tor-allow-password', '--log-format']) assert.ok(c.out.join('\n').includes(flag), flag);
  });
});
