import assert from 'node:assert/strict';
import { z } from 'zod';
import { AddressParam } from '../../../protocol/api/schemas.js';
import { invalidParamsResponse, parseElement, parseLine } from '../../../daemon/api/envelope.js';

const line = (text: string) => Buffer.from(text);

describe('the API envelope', () => {
  it('skips lines of spaces, tabs and carriage returns', () => {
    for (const text of ['', ' ', '\t \r']) assert.equal(parseLine(line(text), 64).kind, 'blank');
  });

  it('answers ERR_PARSE for what is not JSON or not UTF-8', () => {
    for (const bytes of [line('{'), line('nul'), line('{"a":1}x'), Buffer.from([0xc3, 0x28])]) {
      const p = parseLine(bytes, 64);
      assert.equal(p.kind, 'error');
      assert.equal(p.kind === 'error' && p.response.error.data.code, 'ERR_PARSE');
    }
  });

  it('takes a request with or without params and id, and keeps only the JSON-RPC members', () => {
    const e = parseElement({ jsonrpc: '2.0', id: 'a', method: 'm', params: { x: 1 }, extra: true });
    assert.deepEqual(e, { kind: 'request', request: { jsonrpc: '2.0', id: 'a', method: 'm', params: { x: 1 } } });
    const n = parseElement({ jsonrpc: '2.0', method: 'm' });
    assert.ok(n.kind === 'request' && n.request.id === undefined);
    assert.ok(parseElement({ jsonrpc: '2.0', id: null, method: 'm' }).kind === 'request');
  });

  it('answers ERR_INVALID_REQUEST for each malformed request, echoing only a valid id', () => {
    const cases: [unknown, unknown][] = [
      [{ jsonrpc: '2.0', id: 1 }, 1],
      [{ jsonrpc: 2, id: 'x', method: 'm' }, 'x'],
      [{ jsonrpc: '2.0', id: true, method: 'm' }, null],
      [{ jsonrpc: '2.0', id: 1, method: 'm', params: null }, 1],
      [[], null],
      ['x', null],
    ];
    for (const [value, id] of cases) {
      const e = parseElement(value);
      assert.ok(e.kind === 'invalid', JSON.stringify(value));
      assert.equal(e.response.id, id);
      assert.equal(e.response.error.data.code, 'ERR_INVALID_REQUEST');
    }
  });

  it('answers an empty batch and one over the limit as one error, not an array', () => {
    const empty = parseLine(line('[]'), 64);
    assert.ok(empty.kind === 'error' && empty.response.error.data.code === 'ERR_INVALID_REQUEST');
    const big = parseLine(line(JSON.stringify([1, 2, 3])), 2);
    assert.ok(big.kind === 'error' && big.response.error.data.code === 'ERR_BATCH_TOO_LARGE');
    const ok = parseLine(line(JSON.stringify([1, 2])), 2);
    assert.ok(ok.kind === 'batch' && ok.elements.length === 2);
  });

  it('answers -32602 ERR_BAD_ADDRESS for a malformed address param, and ERR_INVALID_PARAMS for a wrong type', () => {
    const schema = z.strictObject({ address: AddressParam });
    const bad = invalidParamsResponse(1, schema.safeParse({ address: 'nope.onion' }).error!.issues);
    assert.equal(bad.error.code, -32602);
    assert.equal(bad.error.data.code, 'ERR_BAD_ADDRESS');
    assert.deepEqual((bad.error.data['issues'] as { path: unknown[] }[])[0]!.path, ['address']);
    const wrong = invalidParamsResponse(1, schema.safeParse({ address: 5 }).error!.issues);
    assert.equal(wrong.error.data.code, 'ERR_INVALID_PARAMS');
    assert.ok(schema.safeParse({ address: 'a'.repeat(56) + '.onion' }).success);
  });

  it('lists at most 10 issues', () => {
    const schema = z.strictObject(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, z.string()])));
    const r = invalidParamsResponse(1, schema.safeParse({}).error!.issues);
    assert.equal((r.error.data['issues'] as unknown[]).length, 10);
  });
});
