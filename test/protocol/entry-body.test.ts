import assert from 'node:assert/strict';
import { toHex } from '../../protocol/bytes.js';
import { createCertificate, encodeCertificate, generateProfileKeys, type Certificate } from '../../protocol/certificate.js';
import { KEY_PACKAGE_MAX_BYTES, REACTION_MAX_BYTES, REMOVE_MEMBERS_MAX } from '../../protocol/constants.js';
import { blake2b, ready } from '../../protocol/crypto.js';
import { decodeEntryBody, encodeEntryBody, EntryKind, sortKeys, type EntryContent } from '../../protocol/entry-body.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { generateIdentity, type Identity } from '../../protocol/identity.js';
import { codeOf, contentToJson } from '../helpers/vectors.js';

const hash = (n: number) => blake2b(32, Uint8Array.of(n));

describe('protocol/entry-body', () => {
  before(ready);

  let founder: Identity;
  let cert: Certificate;
  before(() => {
    founder = generateIdentity();
    const p = generateProfileKeys();
    cert = createCertificate(founder, { signingKey: p.signing.publicKey, dhKey: p.dh.publicKey }, 1_700_000_000_000);
  });

  function roundTrip(content: EntryContent): { kind: number; body: Uint8Array } {
    const { kind, body } = encodeEntryBody(content);
    assert.deepEqual(contentToJson(decodeEntryBody(kind, body)), contentToJson(content));
    return { kind, body };
  }

  it('round-trips every kind and gives each its own kind byte', () => {
    const admins = sortKeys([founder.publicKey, generateIdentity().publicKey]);
    const contents: EntryContent[] = [
      { kind: 'genesis', salt: hash(1), certificate: cert, settings: { name: 'snug 🍺', pubs: [generateIdentity().address, 'ws://127.0.0.1:9'], membersMayInvite: true }, admins },
      { kind: 'text', text: 'hi' },
      { kind: 'reply', target: hash(2), text: 'yes' },
      { kind: 'reaction', target: hash(2), reaction: '' },
      { kind: 'edit', target: hash(2), text: 'fixed' },
      { kind: 'delete', target: hash(2) },
      { kind: 'invite', inviteId: hash(3).subarray(0, 16), includesHistory: false, expires: 0, uses: 1 },
      { kind: 'join', invite: hash(4), certificate: cert },
      { kind: 'add', certificate: cert },
      { kind: 'remove', removed: sortKeys([generateIdentity().publicKey, generateIdentity().publicKey]), keyPackage: Uint8Array.of(1, 2, 3) },
      { kind: 'leave' },
      { kind: 'role', member: founder.publicKey, role: 'member' },
      { kind: 'pubs', pubs: [] },
      { kind: 'hide', target: hash(5) },
    ];
    const kinds = contents.map((c) => roundTrip(c).kind);
    assert.deepEqual(kinds, Object.values(EntryKind));
  });

  it('lays out a join as the invite entry id then the joiner certificate', () => {
    const { body } = roundTrip({ kind: 'join', invite: hash(4), certificate: cert });
    assert.equal(toHex(body), toHex(hash(4)) + toHex(encodeCertificate(cert)));
  });

  it('requires the founder among the admins, admins strictly ascending and usable', () => {
    const other = generateIdentity().publicKey;
    const g = (admins: Uint8Array[]): EntryContent => ({ kind: 'genesis', salt: hash(1), certificate: cert, settings: { name: 'n', pubs: [], membersMayInvite: false }, admins });
    assert.equal(codeOf(() => encodeEntryBody(g([other]))), ProtocolErrorCode.INVALID_FIELD);
    const sorted = sortKeys([founder.publicKey, other]);
    assert.equal(codeOf(() => encodeEntryBody(g([sorted[1]!, sorted[0]!]))), ProtocolErrorCode.NON_CANONICAL);
    assert.equal(codeOf(() => encodeEntryBody(g([]))), ProtocolErrorCode.INVALID_FIELD);
    const bad = new Uint8Array(32);
    bad[0] = 1; // the neutral element
    assert.equal(codeOf(() => encodeEntryBody(g(sortKeys([founder.publicKey, bad])))), ProtocolErrorCode.BAD_KEY);
  });

  it('refuses a reaction over its maximum and a remove over its limits', () => {
    assert.equal(codeOf(() => encodeEntryBody({ kind: 'reaction', target: hash(1), reaction: 'x'.repeat(REACTION_MAX_BYTES + 1) })), ProtocolErrorCode.TOO_LONG);
    const many = sortKeys(Array.from({ length: REMOVE_MEMBERS_MAX + 1 }, () => generateIdentity().publicKey));
    assert.equal(codeOf(() => encodeEntryBody({ kind: 'remove', removed: many, keyPackage: Uint8Array.of(1) })), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeEntryBody({ kind: 'remove', removed: [], keyPackage: new Uint8Array(0) })), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeEntryBody({ kind: 'remove', removed: [], keyPackage: new Uint8Array(KEY_PACKAGE_MAX_BYTES + 1) })), ProtocolErrorCode.OVERSIZED);
  });

  it('rejects unknown flag bits, roles, a trailing byte and a short body', () => {
    const inv = encodeEntryBody({ kind: 'invite', inviteId: new Uint8Array(16), includesHistory: true, expires: 5, uses: 0 }).body;
    const flags = inv.slice();
    flags[16] = 0x03;
    assert.equal(codeOf(() => decodeEntryBody(EntryKind.INVITE, flags)), ProtocolErrorCode.INVALID_FIELD);
    const role = encodeEntryBody({ kind: 'role', member: founder.publicKey, role: 'admin' }).body;
    role[32] = 2;
    assert.equal(codeOf(() => decodeEntryBody(EntryKind.ROLE, role)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => decodeEntryBody(EntryKind.DELETE, Uint8Array.of(...hash(1), 0))), ProtocolErrorCode.OVERSIZED);
    assert.equal(codeOf(() => decodeEntryBody(EntryKind.LEAVE, Uint8Array.of(0))), ProtocolErrorCode.OVERSIZED);
    assert.equal(codeOf(() => decodeEntryBody(EntryKind.HIDE, hash(1).subarray(0, 31))), ProtocolErrorCode.TRUNCATED);
  });

  it('keeps the development pub flagged and rejects a pub named twice', () => {
    const pub = generateIdentity().address;
    assert.equal(codeOf(() => encodeEntryBody({ kind: 'pubs', pubs: [pub, pub.slice(0, 56)] })), ProtocolErrorCode.NON_CANONICAL);
    const { body } = encodeEntryBody({ kind: 'pubs', pubs: ['ws://127.0.0.1:8080'] });
    assert.deepEqual(body, Uint8Array.of(1, 0x02, 0x1f, 0x90));
  });
});
