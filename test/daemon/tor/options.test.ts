import assert from 'node:assert/strict';
import { TorOptionError } from '../../../daemon/tor/errors.js';
import { parseControlAddress, parseHostPort, parseTorOptions, type TorOptionsInput } from '../../../daemon/tor/options.js';

describe('daemon/tor/options', () => {
  it('parses HOST:PORT, with brackets for IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:9051', 'control'), { host: '127.0.0.1', port: 9051 });
    assert.deepEqual(parseHostPort('[::1]:9050', 'socks'), { host: '::1', port: 9050 });
  });

  it('takes a control socket as unix:PATH or as a bare absolute path', () => {
    assert.deepEqual(parseControlAddress('unix:/run/tor/control'), { socketPath: '/run/tor/control' });
    assert.deepEqual(parseControlAddress('/run/tor/control'), { socketPath: '/run/tor/control' });
    assert.deepEqual(parseControlAddress('localhost:9051'), { host: 'localhost', port: 9051 });
  });

  const bad: { name: string; input: TorOptionsInput; option: string }[] = [
    { name: 'a port out of range', input: { control: '127.0.0.1:70000', socks: '127.0.0.1:9050' }, option: 'control' },
    { name: 'a relative unix: path', input: { control: 'unix:run/control', socks: '127.0.0.1:9050' }, option: 'control' },
    { name: 'a control address without a SOCKS address', input: { control: '127.0.0.1:9051' }, option: 'control' },
    { name: 'a SOCKS address without a control address', input: { socks: '127.0.0.1:9050' }, option: 'socks' },
    { name: 'a tor to spawn and one to attach to', input: { bin: 'tor', control: '127.0.0.1:9051', socks: '127.0.0.1:9050' }, option: 'bin' },
    { name: 'a cookie file without a control address', input: { cookie: '/tmp/cookie' }, option: 'cookie' },
    { name: 'allowing a password without a control address', input: { allowPassword: true }, option: 'allowPassword' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, naming the option`, () => {
      assert.throws(() => parseTorOptions(c.input), (err: unknown) => err instanceof TorOptionError && err.code === 'ERR_TOR_BAD_OPTION' && err.option === c.option);
    });
  }

  it('spawns tor from PATH by default, and attaches with the cookie file and password allowance given', () => {
    assert.deepEqual(parseTorOptions({}), { mode: 'spawn', torBin: 'tor' });
    assert.deepEqual(parseTorOptions({ control: 'unix:/run/tor/control', socks: '127.0.0.1:9050', cookie: '/run/tor/control.authcookie', allowPassword: true }), {
      mode: 'attach',
      control: { socketPath: '/run/tor/control' },
      socks: { host: '127.0.0.1', port: 9050 },
      cookieFile: '/run/tor/control.authcookie',
      allowPassword: true,
    });
  });
});
