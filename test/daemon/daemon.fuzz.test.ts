/**
 * The real daemon's socket under 100,000 hostile inputs (the API server's own fuzz,
 * test/daemon/api/server.fuzz.test.ts, runs against test handlers; this one reaches the
 * daemon's real handlers and profile): random bytes, truncated and deeply nested JSON, wrong
 * types for every param of every method, unknown methods, invalid requests, batches, valid
 * calls in between, and lines over 1 MiB. Every answer is checked by id against an oracle (the
 * id-less errors as a multiset per round). The profile is locked throughout, so the valid calls
 * have fixed answers. Afterwards daemon/status still answers and the profile unlocks.
 * SNUG_FUZZ_SEED reproduces a run.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openRpcDocument } from '../../protocol/api/openrpc.js';
import { LineClient, errorCodeOf } from '../helpers/api-server.js';
import { callOnce, startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';

const TOTAL_INPUTS = 100_000;
const CONNECTIONS = 4;
const ROUND = 500;
const PASSPHRASE = 'fuzz passphrase';

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}

interface Expectation {
  readonly byId: Map<number, string>;
  readonly idless: string[];
}

const VALID: Record<string, unknown> = {
  name: 'bo', passphrase: 'x', newPassphrase: 'y', since: 0,
  address: `${'a'.repeat(56)}.onion`, message: 'hi', text: 'hi', limit: 1, before: 'ab'.repeat(32), after: 'ab'.repeat(32),
};
const WRONG: Record<string, unknown[]> = {
  string: [null, true, 0, 1.5, [], ['x'], {}, { a: 1 }, ''],
  integer: [null, true, '1', 1.5, -1, 2 ** 60, [], {}],
  boolean: [null, 0, 'true', [], {}],
  array: [null, true, 0, 'x', {}, [1]],
};
/** The answers of valid calls while the profile is locked (none of them runs the KDF). */
const LOCKED_CALLS: ReadonlyArray<readonly [string, unknown, string]> = [
  ['daemon/status', undefined, 'result'],
  ['rpc.discover', undefined, 'result'],
  ['profile/lock', undefined, 'result'],
  ['profile/create', { name: 'bo', passphrase: 'x' }, 'ERR_PROFILE_EXISTS'],
  ['profile/changePassphrase', { passphrase: 'x', newPassphrase: 'y' }, 'ERR_LOCKED'],
  ['event/subscribe', { since: 3 }, 'ERR_LOCKED'],
];

describe('snug daemon under socket fuzzing', function () {
  this.timeout(600_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;

  before(async () => {
    dir = await makeTempDir('daemon-fuzz');
    daemon = await startDaemon(join(dir, 'home'));
    await callOnce(daemon, async (c) => {
      await c.call('profile/create', { name: 'fuzz', passphrase: PASSPHRASE });
      await c.call('profile/lock');
    });
  });
  after(async () => {
    await daemon?.kill();
    await removeDir(dir);
  });

  it(`answers each of ${TOTAL_INPUTS.toLocaleString('en-US')} hostile inputs correctly or closes, then still serves and unlocks`, async () => {
    const seed = Number(process.env['SNUG_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    const rng = prng(seed);
    const doc = openRpcDocument('fuzz');
    const methods = doc.methods.map((m) => m.name);
    let nextId = 1;
    let sent = 0;

    function generate(exp: Expectation): string {
      const id = nextId++;
      const req = (method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
      switch (rng.int(10)) {
        case 0: {
          // random printable bytes that are not JSON (a leading '}' makes sure of it)
          const bytes = Buffer.alloc(1 + rng.int(200));
          for (let i = 0; i < bytes.length; i++) bytes[i] = i === 0 ? 0x7d : 0x21 + rng.int(0x5e);
          exp.idless.push('ERR_PARSE');
          return bytes.toString('latin1');
        }
        case 1: {
          const text = JSON.stringify(req(rng.pick(methods), { since: 1 }));
          exp.idless.push('ERR_PARSE');
          return text.slice(0, 1 + rng.int(text.length - 1));
        }
        case 2: {
          const depth = 1000 + rng.int(rng.chance(0.05) ? 50_000 : 5000);
          const nested = '['.repeat(depth) + ']'.repeat(depth);
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          return rng.chance(0.5)
            ? `{"jsonrpc":"2.0","id":${id},"method":"profile/unlock","params":{"passphrase":${nested}}}`
            : `{"jsonrpc":"2.0","id":${id},"method":"daemon/status","params":{"x":${nested}}}`;
        }
        case 3:
        case 4: {
          const m = rng.pick(doc.methods.filter((x) => x.params.length > 0));
          const target = rng.pick(m.params);
          const params: Record<string, unknown> = {};
          for (const p of m.params) if (p.required || rng.chance(0.5)) params[p.name] = VALID[p.name];
          const wrong = rng.pick(WRONG[String(target.schema['type'])]!);
          params[target.name] = wrong;
          // a string that is not an address (address, group/leave's successor; an invite) is the -32602 variant ERR_BAD_ADDRESS (ERR_BAD_INVITE) (CONTRACT.md)
          const variant = target.name === 'address' || target.name === 'successor' ? 'ERR_BAD_ADDRESS' : target.name === 'invite' ? 'ERR_BAD_INVITE' : null;
          exp.byId.set(id, variant !== null && typeof wrong === 'string' ? variant : 'ERR_INVALID_PARAMS');
          return JSON.stringify(req(m.name, params));
        }
        case 5: {
          const params = rng.pick<unknown>([[], [1], { unknown: 1 }, { since: 0, extra: true }, { passphrase: 'x', extra: 1 }]);
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          return JSON.stringify(req(rng.pick(methods), params));
        }
        case 6: {
          exp.byId.set(id, 'ERR_METHOD_NOT_FOUND');
          return JSON.stringify(req(rng.pick(['', 'x', 'daemon/', 'Daemon/status', '__proto__', 'toString', 'profile/delete', 'a'.repeat(1 + rng.int(2000))])));
        }
        case 7: {
          const bad = rng.pick<unknown>([
            { jsonrpc: '1.0', id, method: 'daemon/status' },
            { id, method: 'daemon/status' },
            { jsonrpc: '2.0', id, method: 7 },
            { jsonrpc: '2.0', id, method: 'daemon/status', params: 'x' },
          ]);
          exp.byId.set(id, 'ERR_INVALID_REQUEST');
          return JSON.stringify(bad);
        }
        case 8: {
          const n = rng.chance(0.04) ? 0 : 1 + rng.int(16);
          if (n === 0) {
            exp.idless.push('ERR_INVALID_REQUEST');
            return '[]';
          }
          const parts: unknown[] = [];
          for (let i = 0; i < n; i++) {
            const eid = nextId++;
            const pick = rng.int(4);
            if (pick === 0) {
              parts.push({ jsonrpc: '2.0', id: eid, method: 'daemon/status' });
              exp.byId.set(eid, 'result');
            } else if (pick === 1) {
              parts.push({ jsonrpc: '2.0', id: eid, method: 'nope/' + i });
              exp.byId.set(eid, 'ERR_METHOD_NOT_FOUND');
            } else if (pick === 2) {
              parts.push(rng.pick<unknown>([1, 'x', null, true]));
              exp.idless.push('ERR_INVALID_REQUEST');
            } else {
              parts.push({ jsonrpc: '2.0', method: 'daemon/status' }); // a notification: no answer
            }
          }
          return JSON.stringify(parts);
        }
        default: {
          const [method, params, answer] = rng.pick(LOCKED_CALLS);
          exp.byId.set(id, answer);
          return JSON.stringify(req(method, params));
        }
      }
    }

    async function worker(): Promise<void> {
      const c = await LineClient.connect(daemon!.socketPath);
      try {
        while (sent < TOTAL_INPUTS) {
          const exp: Expectation = { byId: new Map(), idless: [] };
          const lines: string[] = [];
          for (let i = 0; i < ROUND && sent < TOTAL_INPUTS; i++, sent++) lines.push(generate(exp));
          c.lines.length = 0;
          c.sendRaw(lines.join('\n') + '\n');
          const want = exp.byId.size + exp.idless.length;
          const count = () => c.lines.reduce<number>((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
          while (count() < want && !c.isClosed) await c.waitLines(c.lines.length + 1, 60_000);
          assert.ok(!c.isClosed, `the connection stays open for lines under the limit (seed ${seed})`);
          await new Promise((r) => setTimeout(r, 5));
          const got = c.lines.flatMap((l) => (Array.isArray(l) ? l : [l]));
          assert.equal(got.length, want, `answers in a round (seed ${seed})`);
          const idless: string[] = [];
          for (const answer of got) {
            const a = answer as { id: unknown; error?: unknown };
            const name = 'error' in a ? errorCodeOf(a)! : 'result';
            if (a.id === null) idless.push(name);
            else {
              assert.equal(name, exp.byId.get(a.id as number), `answer to id ${String(a.id)} (seed ${seed})`);
              exp.byId.delete(a.id as number);
            }
          }
          assert.equal(exp.byId.size, 0);
          assert.deepEqual(idless.sort(), exp.idless.sort(), `id-less errors (seed ${seed})`);
        }
      } finally {
        c.destroy();
      }
    }

    async function hugeLines(count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const c = await LineClient.connect(daemon!.socketPath);
        const size = 1024 * 1024 + 1 + rng.int(2 * 1024 * 1024);
        c.socket.write(rng.chance(0.5) ? Buffer.alloc(size, 0x41) : Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"profile/unlock","params":{"passphrase":"${'y'.repeat(size)}"}}\n`));
        await c.closed;
        assert.equal(errorCodeOf(c.lines[0]), 'ERR_LINE_TOO_LONG');
      }
    }

    await Promise.all([...Array.from({ length: CONNECTIONS }, () => worker()), hugeLines(10)]);
    const status = await callOnce(daemon!, (c) => c.call('daemon/status'));
    assert.equal(status.profile?.locked, true);
    const { address } = await callOnce(daemon!, (c) => c.call('profile/unlock', { passphrase: PASSPHRASE }));
    assert.equal((await callOnce(daemon!, (c) => c.call('daemon/status'))).profile?.address, address);
    assert.equal(daemon!.child.exitCode, null);
  });
});
