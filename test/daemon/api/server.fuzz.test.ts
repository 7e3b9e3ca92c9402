/**
 * The API server under at least 100,000 hostile inputs on its real socket: random bytes,
 * truncated and deeply nested JSON, huge lines, wrong types for every param of every method,
 * unknown methods, invalid request objects, batches (mixed, empty, too large). Each input's
 * answer is predicted by a small independent oracle and checked (by id; the id-less errors as a
 * multiset per round); huge lines must get ERR_LINE_TOO_LONG and a close. Afterwards the server
 * still answers daemon/status and the profile still unlocks. SNUG_FUZZ_SEED reproduces a run.
 */
import assert from 'node:assert/strict';
import { METHODS } from '../../../protocol/api/methods.js';
import { openRpcDocument } from '../../../protocol/api/openrpc.js';
import { LineClient, TEST_PASSPHRASE, errorCodeOf, startTestServer, testHandlers, type TestServer } from '../../helpers/api-server.js';

const TOTAL_INPUTS = 100_000;
const NEWLINE = Buffer.from('\n');
const CONNECTIONS = 4;
const ROUND = 400;

/** mulberry32: small, seedable, good enough to pick inputs. */
function prng(seed: number): { int(n: number): number; chance(p: number): boolean; pick<T>(list: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return {
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)]!,
  };
}

/** What an input must get back: results or error names by id, and id-less error names. */
interface Expectation {
  readonly byId: Map<number, string>;
  readonly idless: string[];
}

type Rng = ReturnType<typeof prng>;

const VALID_VALUE: Record<string, unknown> = { name: 'alice', passphrase: 'p', newPassphrase: 'q', since: 0 };
const WRONG_FOR_TYPE: Record<string, unknown[]> = {
  string: [null, true, false, 0, 1.5, -7, [], ['x'], {}, { a: 1 }],
  integer: [null, true, '1', '', 1.5, -1, 2 ** 60, [], [1], {}, { a: 1 }],
  boolean: [null, 0, 1, 'true', '', [], {}],
  array: [null, true, 0, 'x', {}, [1], [null]],
};
const doc = openRpcDocument('fuzz');
const NO_PARAMS = new Set(['daemon/status', 'daemon/shutdown', 'profile/lock', 'rpc.discover']);

describe('ApiServer under fuzzing', function () {
  this.timeout(600_000);
  let t: TestServer | undefined;
  after(async () => {
    await t?.close();
  });

  it(`answers each of ${TOTAL_INPUTS.toLocaleString('en-US')} hostile inputs correctly or closes, and still serves afterwards`, async () => {
    const seed = Number(process.env['SNUG_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    const rng = prng(seed);
    const state = { profile: { name: 'fuzz', locked: true } };
    // profile/create and unlock are stateful; the shared handlers change state only for valid params
    t = await startTestServer({}, { ...testHandlers(state), 'daemon/shutdown': async () => ({}) });
    let nextId = 1;
    let sent = 0;

    /** Adds one input's text to `out` and its expectation to `exp`. */
    function generate(exp: Expectation): string | Buffer {
      const kind = rng.int(11);
      const id = nextId++;
      const req = (method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
      switch (kind) {
        case 0: {
          // random bytes (no newline)
          const bytes = Buffer.alloc(1 + rng.int(200));
          for (let i = 0; i < bytes.length; i++) {
            let b = rng.int(256);
            if (b === 0x0a) b = 0x20;
            bytes[i] = b;
          }
          oracleForBytes(bytes, exp);
          return bytes; // as bytes: a string would be sent as UTF-8, which the oracle did not see
        }
        case 1: {
          // a truncated valid request
          const text = JSON.stringify(req(rng.pick(Object.keys(METHODS)), { since: 1 }));
          const cut = 1 + rng.int(text.length - 1);
          exp.idless.push('ERR_PARSE');
          return text.slice(0, cut);
        }
        case 2: {
          // deep nesting: as a batch element, inside params, or as an unknown member
          const depth = 1000 + rng.int(rng.chance(0.05) ? 100_000 : 5000);
          const nested = '['.repeat(depth) + ']'.repeat(depth);
          const where = rng.int(3);
          if (where === 0) {
            exp.idless.push('ERR_INVALID_REQUEST'); // one element, not a request: an array of one error
            return nested;
          }
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          if (where === 1) return `{"jsonrpc":"2.0","id":${id},"method":"event/subscribe","params":{"since":${nested}}}`;
          return `{"jsonrpc":"2.0","id":${id},"method":"daemon/status","params":{"x":${nested}}}`;
        }
        case 3:
        case 4: {
          // a wrong type for one param of one method, the others valid
          const m = rng.pick(doc.methods.filter((x) => x.params.length > 0));
          const target = rng.pick(m.params);
          const type = String(target.schema['type']);
          const params: Record<string, unknown> = {};
          for (const p of m.params) if (p.required || rng.chance(0.5)) params[p.name] = VALID_VALUE[p.name];
          params[target.name] = rng.pick(WRONG_FOR_TYPE[type]!);
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          return JSON.stringify(req(m.name, params));
        }
        case 5: {
          // params that are not an object of the right members
          const m = rng.pick(Object.keys(METHODS));
          const params = rng.pick<unknown>([[], [1, 2], { unknown: 1 }, { since: 0, extra: true }]);
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          return JSON.stringify(req(m, params));
        }
        case 6: {
          // unknown methods
          const method = rng.pick(['', 'x', 'daemon/', '/status', 'daemon/Status', '__proto__', 'constructor', 'rpc.', 'a'.repeat(1 + rng.int(3000))]);
          exp.byId.set(id, 'ERR_METHOD_NOT_FOUND');
          return JSON.stringify(req(method));
        }
        case 7: {
          // not a request object
          const bad = rng.pick<unknown>([
            { jsonrpc: '1.0', id, method: 'daemon/status' },
            { id, method: 'daemon/status' },
            { jsonrpc: '2.0', id, method: 7 },
            { jsonrpc: '2.0', id, method: null },
            { jsonrpc: '2.0', id, method: 'daemon/status', params: 'x' },
            { jsonrpc: '2.0', id, method: 'daemon/status', params: 3 },
            { jsonrpc: '2.0', id, result: 1 },
          ]);
          exp.byId.set(id, 'ERR_INVALID_REQUEST');
          return JSON.stringify(bad);
        }
        case 8: {
          // a batch of mixed elements (sometimes too large, sometimes empty)
          const n = rng.chance(0.05) ? 65 + rng.int(100) : rng.chance(0.03) ? 0 : 1 + rng.int(20);
          if (n === 0) {
            exp.idless.push('ERR_INVALID_REQUEST');
            return '[]';
          }
          if (n > 64) {
            exp.idless.push('ERR_BATCH_TOO_LARGE');
            return JSON.stringify(Array.from({ length: n }, () => req('daemon/status')));
          }
          const parts: unknown[] = [];
          for (let i = 0; i < n; i++) {
            const eid = nextId++;
            const pick = rng.int(5);
            if (pick === 0) {
              parts.push({ jsonrpc: '2.0', id: eid, method: 'daemon/status' });
              exp.byId.set(eid, 'result');
            } else if (pick === 1) {
              parts.push({ jsonrpc: '2.0', id: eid, method: 'nope/' + i });
              exp.byId.set(eid, 'ERR_METHOD_NOT_FOUND');
            } else if (pick === 2) {
              parts.push({ jsonrpc: '2.0', id: eid, method: 'profile/unlock', params: { passphrase: 5 } });
              exp.byId.set(eid, 'ERR_INVALID_PARAMS');
            } else if (pick === 3) {
              parts.push(rng.pick<unknown>([1, 'x', null, true, []]));
              exp.idless.push('ERR_INVALID_REQUEST');
            } else {
              parts.push({ jsonrpc: '2.0', method: 'daemon/status' }); // a notification: no answer
            }
          }
          return JSON.stringify(parts);
        }
        case 9: {
          // valid calls in between
          const ok = rng.pick([
            () => req('daemon/status'),
            () => req('rpc.discover'),
            () => req('profile/unlock', { passphrase: 'wrong' }),
            () => req('profile/changePassphrase', { passphrase: 'wrong', newPassphrase: 'x' }),
          ]);
          const r = ok();
          exp.byId.set(id, r.method === 'profile/unlock' || r.method === 'profile/changePassphrase' ? 'ERR_BAD_PASSPHRASE' : 'result');
          return JSON.stringify(r);
        }
        default: {
          // methods without params given some, with JSON-valid but schema-invalid values
          const m = rng.pick([...NO_PARAMS]);
          exp.byId.set(id, 'ERR_INVALID_PARAMS');
          return JSON.stringify(req(m, { [rng.pick(['a', 'since', 'name', '__proto__'])]: rng.pick<unknown>([1, 'x', null, {}]) }));
        }
      }
    }

    async function worker(): Promise<void> {
      const c = await LineClient.connect(t!.socketPath);
      try {
        while (sent < TOTAL_INPUTS) {
          const exp: Expectation = { byId: new Map(), idless: [] };
          const lines: (string | Buffer)[] = [];
          for (let i = 0; i < ROUND && sent < TOTAL_INPUTS; i++, sent++) lines.push(generate(exp));
          const before = c.lines.length;
          c.sendRaw(Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l) : l, NEWLINE])));
          const want = exp.byId.size + exp.idless.length;
          // answers to batches come as arrays; count the answers inside them
          const count = () => c.lines.slice(before).reduce<number>((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
          while (count() < want && !c.isClosed) await c.waitLines(c.lines.length + 1, 60_000);
          let got: unknown[];
          assert.ok(!c.isClosed, 'the connection stays open for inputs under the line limit');
          await new Promise((r) => setTimeout(r, 5)); // anything extra would show up now
          got = c.lines.slice(before).flatMap((l) => (Array.isArray(l) ? l : [l]));
          assert.equal(got.length, want, `answers in a round (seed ${seed})`);
          const idless: string[] = [];
          for (const answer of got) {
            const a = answer as { id: unknown; error?: unknown };
            const name = 'error' in a ? errorCodeOf(a)! : 'result';
            if (a.id === null) {
              idless.push(name);
              continue;
            }
            assert.equal(name, exp.byId.get(a.id as number), `answer to id ${String(a.id)} (seed ${seed})`);
            exp.byId.delete(a.id as number);
          }
          assert.equal(exp.byId.size, 0);
          assert.deepEqual(idless.sort(), exp.idless.sort(), `id-less errors (seed ${seed})`);
          c.lines.length = 0;
        }
      } finally {
        c.destroy();
      }
    }

    async function hugeLines(count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const c = await LineClient.connect(t!.socketPath);
        const size = 1024 * 1024 + 1 + rng.int(3 * 1024 * 1024);
        // sometimes valid-looking JSON, sometimes without any newline at all
        const body = rng.chance(0.5) ? Buffer.alloc(size, 0x41) : Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"daemon/status","params":{"x":"${'y'.repeat(size)}"}}\n`);
        c.socket.write(body);
        await c.closed;
        assert.equal(errorCodeOf(c.lines[0]), 'ERR_LINE_TOO_LONG');
        assert.equal(c.lines.length, 1);
      }
    }

    await Promise.all([...Array.from({ length: CONNECTIONS }, () => worker()), hugeLines(20)]);
    assert.ok(sent >= TOTAL_INPUTS);

    // afterwards: status answers, the profile unlocks
    const c = await LineClient.connect(t.socketPath);
    try {
      assert.ok('result' in ((await c.call({ jsonrpc: '2.0', id: 1, method: 'daemon/status' })) as object));
      assert.deepEqual(((await c.call({ jsonrpc: '2.0', id: 2, method: 'profile/unlock', params: { passphrase: TEST_PASSPHRASE } })) as { result: unknown }).result !== undefined, true);
      assert.equal(state.profile.locked, false);
    } finally {
      c.destroy();
    }
  });
});

/** The oracle for a line of random bytes: blank, not JSON, or JSON that is no request. */
function oracleForBytes(bytes: Buffer, exp: Expectation): void {
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) return;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    exp.idless.push('ERR_PARSE');
    return;
  }
  if (!Array.isArray(value)) {
    exp.idless.push('ERR_INVALID_REQUEST');
    return;
  }
  if (value.length === 0 || value.length > 64) {
    exp.idless.push(value.length === 0 ? 'ERR_INVALID_REQUEST' : 'ERR_BATCH_TOO_LARGE');
    return;
  }
  // random bytes do not spell a valid request: every element is invalid
  for (let i = 0; i < value.length; i++) exp.idless.push('ERR_INVALID_REQUEST');
}
