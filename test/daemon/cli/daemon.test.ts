import assert from 'node:assert/strict';
import { daemonConfigFrom } from '../../../daemon/cli/daemon.js';
import { UsageError } from '../../../daemon/cli/errors.js';

const usage = (flag: string) => (err: unknown) => err instanceof UsageError && err.code === 'ERR_USAGE' && err.flag === flag;

describe('daemon/cli/daemon: flags to config', () => {
  it('defaults to tor, a spawned tor, the default KDF and no development mode', () => {
    assert.deepEqual(daemonConfigFrom({ home: '/h' }), {
      home: '/h',
      transport: 'tor',
      tor: { mode: 'spawn', torBin: 'tor' },
      dev: { enabled: false, kdf: 'default' },
    });
  });

  it('takes the direct transport and the fast KDF in development mode', () => {
    const config = daemonConfigFrom({ home: '/h', dev: true, transport: 'direct', 'dev-kdf': 'fast' });
    assert.equal(config.transport, 'direct');
    assert.deepEqual(config.dev, { enabled: true, kdf: 'fast' });
  });

  it('refuses --transport direct without --dev', () => {
    assert.throws(() => daemonConfigFrom({ home: '/h', transport: 'direct' }), usage('--transport'));
  });

  it('turns the post jitter off only in development mode, and only when asked', () => {
    assert.deepEqual(daemonConfigFrom({ home: '/h', dev: true, 'dev-post-jitter': 'off' }).dev, { enabled: true, kdf: 'default', postJitter: 'off' });
    assert.deepEqual(daemonConfigFrom({ home: '/h', dev: true, 'dev-post-jitter': 'on' }).dev, { enabled: true, kdf: 'default' });
    assert.throws(() => daemonConfigFrom({ home: '/h', 'dev-post-jitter': 'off' }), usage('--dev-post-jitter'));
    assert.throws(() => daemonConfigFrom({ home: '/h', dev: true, 'dev-post-jitter': 'never' }), usage('--dev-post-jitter'));
  });

  it('refuses --dev-kdf fast without --dev', () => {
    assert.throws(() => daemonConfigFrom({ home: '/h', 'dev-kdf': 'fast' }), usage('--dev-kdf'));
  });

  it('refuses an unknown transport or KDF setting', () => {
    assert.throws(() => daemonConfigFrom({ home: '/h', dev: true, transport: 'udp' }), usage('--transport'));
    assert.throws(() => daemonConfigFrom({ home: '/h', dev: true, 'dev-kdf': 'none' }), usage('--dev-kdf'));
  });

  it('refuses tor options with the direct transport', () => {
    assert.throws(() => daemonConfigFrom({ home: '/h', dev: true, transport: 'direct', 'tor-bin': '/usr/bin/tor' }), usage('--transport'));
  });

  it('maps attach-mode tor options', () => {
    const config = daemonConfigFrom({ home: '/h', 'tor-control': '127.0.0.1:9051', 'tor-socks': '127.0.0.1:9050', 'tor-cookie': '/run/tor/control.authcookie' });
    assert.deepEqual(config.tor, { mode: 'attach', control: { host: '127.0.0.1', port: 9051 }, socks: { host: '127.0.0.1', port: 9050 }, cookieFile: '/run/tor/control.authcookie' });
  });
});
