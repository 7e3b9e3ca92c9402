import assert from 'node:assert/strict';
import { ONION_ADDRESS_CHARS as IDENTITY_ONION_CHARS } from '../../../protocol/identity.js';
import { ONION_ADDRESS_CHARS } from '../../../protocol/api/schemas.js';
import {
  API_ERRORS,
  API_ERROR_NAMES,
  APP_ERROR_MAX,
  APP_ERROR_MIN,
  ApiError,
  COMMON_ERRORS,
  METHODS,
  NOTIFICATIONS,
  isApiError,
  isApiErrorName,
  isMethodName,
  isNotificationName,
  openRpcDocument,
  type MethodDescriptor,
  type NotificationDescriptor,
} from '../../../protocol/api/index.js';

const SAMPLE_ADDRESS = `${'a'.repeat(56)}.onion`;
/** Valid params (but seq) of every notification. */
const NOTIFICATION_SAMPLES: { readonly [N in keyof typeof NOTIFICATIONS]: Record<string, unknown> } = {
  'tor/didProgress': { bootstrap: 0, state: 'off', onion: 'off' },
  'contact/didRequest': { address: SAMPLE_ADDRESS, proposedName: 'bob', message: null },
  'contact/didChange': { address: SAMPLE_ADDRESS, contact: null },
  'message/didReceive': { address: SAMPLE_ADDRESS, message: { id: 'ab'.repeat(32), kind: 'message', author: SAMPLE_ADDRESS, ts: 1, text: 'hi', status: 'received' } },
  'message/didChange': { address: SAMPLE_ADDRESS, id: 'ab'.repeat(32), status: 'delivered' },
  'group/didInvite': { invite: { from: SAMPLE_ADDRESS, name: 'pub crawl', invite: 'snug2aaaa', groupId: 'cd'.repeat(32), received: 1 } },
  'group/didChange': { groupId: 'cd'.repeat(32), group: null },
  'pub/didChange': { address: SAMPLE_ADDRESS, state: 'live', lastError: null },
};

const methods = Object.values<MethodDescriptor>(METHODS);
const notifications = Object.values<NotificationDescriptor>(NOTIFICATIONS);

describe('the local API descriptors', () => {
  it('name methods scope/verb (or rpc.discover) and notifications scope/didX, each under its own key', () => {
    for (const [key, d] of Object.entries(METHODS)) {
      assert.equal(d.method, key);
      assert.equal(d.kind, 'method');
      assert.match(d.method, /^([a-z]+\/[a-z][A-Za-z]*|rpc\.discover)$/);
    }
    for (const [key, d] of Object.entries(NOTIFICATIONS)) {
      assert.equal(d.method, key);
      assert.equal(d.kind, 'notification');
      assert.match(d.method, /^[a-z]+\/did[A-Z][A-Za-z]*$/);
    }
  });

  it('list only error names that are in the table', () => {
    for (const d of methods) for (const name of d.errors) assert.ok(isApiErrorName(name), `${d.method}: ${name}`);
    for (const name of COMMON_ERRORS) assert.ok(isApiErrorName(name));
  });

  it('give every notification a positive integer seq in its params', () => {
    for (const d of notifications) {
      assert.ok('seq' in d.params.shape, d.method);
      const ok = { seq: 1, ...NOTIFICATION_SAMPLES[d.method as keyof typeof NOTIFICATION_SAMPLES] };
      assert.ok(d.params.safeParse(ok).success, d.method);
      for (const seq of [0, -1, 1.5, '1', undefined]) assert.ok(!d.params.safeParse({ ...ok, seq }).success, `${d.method} seq ${String(seq)}`);
    }
  });

  it('take absent params as {} for methods without required params, and refuse unknown members', () => {
    for (const name of ['daemon/status', 'daemon/shutdown', 'profile/lock', 'event/subscribe', 'rpc.discover'] as const) {
      assert.ok(METHODS[name].params.safeParse({}).success, name);
      assert.ok(!METHODS[name].params.safeParse({ extra: 1 }).success, name);
    }
    assert.ok(!METHODS['profile/create'].params.safeParse({}).success);
  });

  it('trim a profile name and refuse an empty one, a long one and one with control characters', () => {
    const p = METHODS['profile/create'].params;
    assert.deepEqual(p.parse({ name: '  alice ', passphrase: 'x' }), { name: 'alice', passphrase: 'x' });
    for (const name of ['', '   ', 'a'.repeat(65), 'a\nb', 'a\u0000', 'a\u009b']) assert.ok(!p.safeParse({ name, passphrase: 'x' }).success, JSON.stringify(name));
    assert.ok(p.safeParse({ name: 'a'.repeat(64), passphrase: 'x' }).success);
  });

  it('use the onion address length of protocol/identity.ts', () => {
    assert.equal(ONION_ADDRESS_CHARS, IDENTITY_ONION_CHARS);
  });

  it('accept only v3 onion addresses in results', () => {
    const r = METHODS['profile/unlock'].result;
    assert.ok(r.safeParse({ address: 'a'.repeat(56) + '.onion' }).success);
    for (const address of ['a'.repeat(56), 'A'.repeat(56) + '.onion', 'a'.repeat(55) + '.onion', '1'.repeat(56) + '.onion']) {
      assert.ok(!r.safeParse({ address }).success, address);
    }
  });

  it('recognise their own names and no inherited property names', () => {
    assert.ok(isMethodName('daemon/status'));
    assert.ok(isNotificationName('tor/didProgress'));
    for (const name of ['__proto__', 'constructor', 'toString', 'daemon/nope']) {
      assert.ok(!isMethodName(name));
      assert.ok(!isNotificationName(name));
      assert.ok(!isApiErrorName(name));
    }
  });
});

describe('the local API error table', () => {
  it('gives every name a stable code: JSON-RPC codes for protocol faults, 1000-1999 for the rest', () => {
    const jsonRpc = new Set([-32700, -32600, -32601, -32602]);
    for (const name of API_ERROR_NAMES) {
      const { code } = API_ERRORS[name];
      assert.ok(jsonRpc.has(code) || (code >= APP_ERROR_MIN && code <= APP_ERROR_MAX), `${name} ${code}`);
      assert.match(name, /^ERR_[A-Z_]+$/);
    }
  });

  it('uses each application code once', () => {
    const app = API_ERROR_NAMES.map((n) => API_ERRORS[n].code).filter((c) => c >= APP_ERROR_MIN);
    assert.equal(new Set(app).size, app.length);
  });

  it('has the names CONTRACT.md promises, with -32602 for bad addresses and invites', () => {
    for (const name of ['ERR_NO_PROFILE', 'ERR_PROFILE_EXISTS', 'ERR_LOCKED', 'ERR_BAD_PASSPHRASE', 'ERR_NOT_FOUND', 'ERR_NOT_CONTACT', 'ERR_NOT_ADMIN', 'ERR_NOT_AUTHOR', 'ERR_TOO_LONG']) {
      assert.ok(isApiErrorName(name), name);
    }
    assert.equal(API_ERRORS.ERR_BAD_ADDRESS.code, -32602);
    assert.equal(API_ERRORS.ERR_BAD_INVITE.code, -32602);
    assert.equal(API_ERRORS.ERR_PARSE.code, -32700);
    assert.equal(API_ERRORS.ERR_INVALID_REQUEST.code, -32600);
    assert.equal(API_ERRORS.ERR_METHOD_NOT_FOUND.code, -32601);
  });
});

describe('ApiError', () => {
  it('carries the stable name as code, the number as rpcCode, and data.code', () => {
    const err = new ApiError('ERR_LOCKED');
    assert.equal(err.code, 'ERR_LOCKED');
    assert.equal(err.rpcCode, 1003);
    assert.deepEqual(err.toErrorObject(), { code: 1003, message: API_ERRORS.ERR_LOCKED.message, data: { code: 'ERR_LOCKED' } });
    assert.ok(isApiError(err, 'ERR_LOCKED'));
    assert.ok(!isApiError(err, 'ERR_NO_PROFILE'));
  });

  it('round-trips through the error object, keeping further data members', () => {
    const err = ApiError.fromErrorObject(new ApiError('ERR_INVALID_PARAMS', 'bad', { issues: [{ path: ['x'] }] }).toErrorObject());
    assert.equal(err.code, 'ERR_INVALID_PARAMS');
    assert.equal(err.rpcCode, -32602);
    assert.deepEqual(err.data, { issues: [{ path: ['x'] }], code: 'ERR_INVALID_PARAMS' });
  });

  it('names an answer without data.code by its number', () => {
    assert.equal(ApiError.fromErrorObject({ code: -32601, message: 'x' }).code, 'ERR_METHOD_NOT_FOUND');
    assert.equal(ApiError.fromErrorObject({ code: 1003, message: 'x' }).code, 'ERR_LOCKED');
    assert.equal(ApiError.fromErrorObject({ code: 1999, message: 'x' }).code, 'ERR_INTERNAL');
  });
});

describe('the OpenRPC document', () => {
  const doc = openRpcDocument('1.2.3');

  it('is OpenRPC 1.x with the version given, one entry per method and notification', () => {
    assert.match(doc.openrpc, /^1\.\d+\.\d+$/);
    assert.equal(doc.info.version, '1.2.3');
    assert.deepEqual(doc.methods.map((m) => m.name), Object.keys(METHODS));
    assert.deepEqual(doc['x-notifications'].map((n) => n.name), Object.keys(NOTIFICATIONS));
  });

  it('lists params by name with required flags and JSON Schemas, results and errors with data.code', () => {
    const create = doc.methods.find((m) => m.name === 'profile/create')!;
    assert.equal(create.paramStructure, 'by-name');
    assert.deepEqual(create.params.map((p) => [p.name, p.required]), [['name', true], ['passphrase', true]]);
    assert.equal(create.params[0]!.schema['type'], 'string');
    assert.equal(create.result.schema['type'], 'object');
    assert.ok(create.errors.some((e) => e.data.code === 'ERR_PROFILE_EXISTS' && e.code === 1002));
    const sub = doc.methods.find((m) => m.name === 'event/subscribe')!;
    assert.deepEqual(sub.params.map((p) => [p.name, p.required]), [['since', false]]);
    for (const m of doc.methods) for (const name of COMMON_ERRORS) assert.ok(m.errors.some((e) => e.data.code === name), `${m.name} ${name}`);
  });

  it('is plain JSON (survives a JSON round trip unchanged)', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  });
});

describe('the group and conversation params', () => {
  const G = 'cd'.repeat(32);
  const A = `${'a'.repeat(56)}.onion`;

  it('name exactly one of groupId and address in message/send, list and markRead', () => {
    const send = METHODS['message/send'].params;
    assert.ok(send.safeParse({ groupId: G, text: 'hi' }).success);
    assert.ok(send.safeParse({ address: A, text: 'hi' }).success);
    assert.ok(!send.safeParse({ text: 'hi' }).success);
    assert.ok(!send.safeParse({ groupId: G, address: A, text: 'hi' }).success);
    assert.ok(METHODS['message/list'].params.safeParse({ groupId: G }).success);
    assert.ok(!METHODS['message/list'].params.safeParse({}).success);
    assert.ok(METHODS['message/markRead'].params.safeParse({ address: A, id: G }).success);
    assert.ok(!METHODS['message/markRead'].params.safeParse({ id: G }).success);
  });

  it('mark a malformed invite ERR_BAD_INVITE and a malformed pub ERR_BAD_ADDRESS', () => {
    const join = METHODS['group/join'].params.safeParse({ invite: 'hello' });
    assert.ok(!join.success);
    assert.equal((join.error.issues[0] as { params?: Record<string, unknown> }).params?.['apiCode'], 'ERR_BAD_INVITE');
    assert.deepEqual(METHODS['group/join'].params.parse({ invite: '  snug2abc \n' }), { invite: 'snug2abc' });
    const create = METHODS['group/create'].params.safeParse({ name: 'x', pubs: ['http://example.com'] });
    assert.ok(!create.success);
    assert.equal((create.error.issues[0] as { params?: Record<string, unknown> }).params?.['apiCode'], 'ERR_BAD_ADDRESS');
    assert.ok(METHODS['group/create'].params.safeParse({ name: 'x', pubs: [A, 'ws://127.0.0.1:9000'] }).success);
    assert.ok(!METHODS['group/create'].params.safeParse({ name: 'x', pubs: [] }).success);
  });

  it('take a group name of at most 128 UTF-8 bytes without control characters', () => {
    const p = METHODS['group/create'].params;
    assert.ok(p.safeParse({ name: 'é'.repeat(64), pubs: [A] }).success);
    assert.ok(!p.safeParse({ name: 'é'.repeat(65), pubs: [A] }).success);
    assert.ok(!p.safeParse({ name: 'a\u0007', pubs: [A] }).success);
  });

  it('use the invite text length of protocol/invite.ts', async () => {
    const { INVITE_TEXT_MAX_CHARS: protocolMax } = await import('../../../protocol/invite.js');
    const { INVITE_TEXT_MAX_CHARS } = await import('../../../protocol/api/schemas.js');
    assert.equal(INVITE_TEXT_MAX_CHARS, protocolMax);
  });
});
