/**
 * The size rule of docs/protocol.md §9, checked as a property: every entry but key packages and
 * long texts takes the standard blob size, whatever the script of its text (up to 1,000 code
 * points) and however many heads it names.
 */
import assert from 'node:assert/strict';
import { sealBlob } from '../../protocol/blob.js';
import { createCertificate, generateProfileKeys, type Certificate } from '../../protocol/certificate.js';
import {
  BLOB_SIZE_LONG,
  BLOB_SIZE_MAX,
  BLOB_SIZE_STANDARD,
  BLOB_SIZES,
  ENTRY_HEADS_MAX,
  GENESIS_ADMINS_MAX,
  GROUP_NAME_MAX_BYTES,
  GROUP_PUBS_MAX,
  KEY_PACKAGE_MAX_BYTES,
  REMOVE_MEMBERS_MAX,
  SHORT_TEXT_MAX_BYTES,
  TEXT_MAX_BYTES,
} from '../../protocol/constants.js';
import { blake2b, ready, SEALED_BOX_OVERHEAD_BYTES, type Ed25519KeyPair } from '../../protocol/crypto.js';
import { createDirectEntry, deriveDirectKeys, encodeDirectEntry } from '../../protocol/direct.js';
import { createEntry, createGenesis, encodeEntry, sortKeys, type EntryContent } from '../../protocol/entry.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { deriveEpochKeys, generateEpochSecret, type EpochKeys } from '../../protocol/group.js';
import { generateIdentity, type Identity } from '../../protocol/identity.js';
import { Prng } from '../helpers/pub-fixtures.js';
import { codeOf } from '../helpers/vectors.js';

/** Code point ranges per script (no surrogates). */
const SCRIPTS: Record<string, readonly [number, number][]> = {
  ascii: [[0x20, 0x7e]],
  cyrillic: [[0x400, 0x4ff]],
  cjk: [[0x4e00, 0x9fff]],
  emoji: [
    [0x1f300, 0x1f5ff],
    [0x1f600, 0x1f64f],
    [0x1f900, 0x1f9ff],
  ],
  mixed: [
    [0x20, 0x7e],
    [0x400, 0x4ff],
    [0x4e00, 0x9fff],
    [0x1f600, 0x1f64f],
    [0xe000, 0xfffd],
    [0x10000, 0x10ffff],
  ],
};

function randomText(rng: Prng, script: string, codePoints: number): string {
  const ranges = SCRIPTS[script]!;
  let s = '';
  for (let i = 0; i < codePoints; i++) {
    const [lo, hi] = ranges[rng.int(ranges.length)]!;
    s += String.fromCodePoint(lo + rng.int(hi - lo + 1));
  }
  return s;
}

const hash = (n: number) => blake2b(32, Uint8Array.of(n & 0xff, n >> 8));

describe('protocol/constants (blob sizes)', () => {
  before(ready);

  let keys: EpochKeys;
  let author: Ed25519KeyPair;
  let identity: Identity;
  let cert: Certificate;
  before(() => {
    keys = deriveEpochKeys(generateEpochSecret(), hash(1), { number: 7, opener: hash(2) });
    identity = generateIdentity();
    const profile = generateProfileKeys();
    author = profile.signing;
    cert = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_700_000_000_000);
  });

  function sizeOf(content: EntryContent, heads: number): number {
    const hs = Array.from({ length: heads }, (_, i) => hash(1000 + i));
    return sealBlob(keys, encodeEntry(createEntry(keys, author, { seq: 2 ** 53 - 1, prev: hash(3), timestamp: 8.64e15, heads: hs, content }))).length;
  }

  it('puts every kind with any text of up to 1,000 code points in any script and any head count into the standard size', () => {
    const rng = new Prng(0x5123);
    const pubs = Array.from({ length: GROUP_PUBS_MAX }, () => generateIdentity().address);
    const fixedKinds: EntryContent[] = [
      { kind: 'delete', target: hash(4) },
      { kind: 'hide', target: hash(4) },
      { kind: 'invite', inviteId: new Uint8Array(16), includesHistory: true, expires: 8.64e15, uses: 0xffff_ffff },
      { kind: 'join', invite: hash(5), certificate: cert },
      { kind: 'add', certificate: cert },
      { kind: 'leave' },
      { kind: 'role', member: identity.publicKey, role: 'admin' },
      { kind: 'pubs', pubs },
      { kind: 'reaction', target: hash(4), reaction: '👩🏽‍🤝‍👩🏼'.padEnd(16, '❤') },
    ];
    let checked = 0;
    for (const script of Object.keys(SCRIPTS)) {
      for (let run = 0; run < 12; run++) {
        const codePoints = run === 0 ? 1000 : 1 + rng.int(1000);
        const text = randomText(rng, script, codePoints);
        const heads = run % 3 === 0 ? ENTRY_HEADS_MAX : rng.int(ENTRY_HEADS_MAX + 1);
        for (const content of [
          { kind: 'text', text },
          { kind: 'reply', target: hash(4), text },
          { kind: 'edit', target: hash(4), text },
        ] satisfies EntryContent[]) {
          assert.equal(sizeOf(content, heads), BLOB_SIZE_STANDARD, `${script} ${codePoints} code points, ${heads} heads, ${content.kind}`);
          checked++;
        }
      }
    }
    for (const content of fixedKinds) {
      for (const heads of [0, ENTRY_HEADS_MAX]) {
        assert.equal(sizeOf(content, heads), BLOB_SIZE_STANDARD, content.kind);
        checked++;
      }
    }
    assert.ok(checked >= 190);
  });

  it('puts the worst-case text (1,000 four-byte code points) with the most heads into the standard size', () => {
    const text = String.fromCodePoint(0x10ffff).repeat(1000);
    assert.equal(new TextEncoder().encode(text).length, SHORT_TEXT_MAX_BYTES);
    assert.equal(sizeOf({ kind: 'reply', target: hash(4), text }, ENTRY_HEADS_MAX), BLOB_SIZE_STANDARD);
  });

  it('puts the largest genesis (64 admins, 16 pubs, the longest name) into the standard size', () => {
    const profile = generateProfileKeys();
    const founder = generateIdentity();
    const c = createCertificate(founder, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1);
    const admins = sortKeys([founder.publicKey, ...Array.from({ length: GENESIS_ADMINS_MAX - 1 }, () => generateIdentity().publicKey)]);
    const g = createGenesis(profile.signing, {
      certificate: c,
      timestamp: 8.64e15,
      settings: { name: 'ж'.repeat(GROUP_NAME_MAX_BYTES / 2), pubs: Array.from({ length: GROUP_PUBS_MAX }, () => generateIdentity().address), membersMayInvite: true },
      admins,
    });
    const k0 = deriveEpochKeys(generateEpochSecret(), g.groupId, g.epoch);
    assert.equal(sealBlob(k0, g.encoding).length, BLOB_SIZE_STANDARD);
  });

  it('puts a 1:1 entry of up to 1,000 code points with the most heads into the standard size', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    const pa = generateProfileKeys();
    const pb = generateProfileKeys();
    const k = deriveDirectKeys({ identityKey: a.publicKey, dh: pa.dh }, { identityKey: b.publicKey, dhKey: pb.dh.publicKey });
    const text = String.fromCodePoint(0x1f600).repeat(1000);
    const heads = Array.from({ length: ENTRY_HEADS_MAX }, (_, i) => hash(i));
    const e = createDirectEntry(k, a.publicKey, { seq: 1, timestamp: 1, heads, content: { kind: 'reply', target: hash(9), text } });
    assert.equal(sealBlob(k, encodeDirectEntry(e)).length, BLOB_SIZE_STANDARD);
  });

  it('puts longer texts up to the maximum into the long size, and refuses longer ones with ERR_TOO_LONG', () => {
    assert.equal(sizeOf({ kind: 'text', text: 'a'.repeat(5000) }, 0), BLOB_SIZE_LONG);
    assert.equal(sizeOf({ kind: 'reply', target: hash(4), text: 'a'.repeat(TEXT_MAX_BYTES) }, ENTRY_HEADS_MAX), BLOB_SIZE_LONG);
    assert.equal(sizeOf({ kind: 'edit', target: hash(4), text: '😀'.repeat(TEXT_MAX_BYTES / 4) }, ENTRY_HEADS_MAX), BLOB_SIZE_LONG);
    assert.equal(codeOf(() => sizeOf({ kind: 'text', text: 'a'.repeat(TEXT_MAX_BYTES + 1) }, 0)), ProtocolErrorCode.TOO_LONG);
  });

  it('fits the largest remove-and-re-key into the largest size, with room for a key package of 1,000 members', () => {
    const removed = sortKeys(Array.from({ length: REMOVE_MEMBERS_MAX }, () => generateIdentity().publicKey));
    const rm = (n: number) => sizeOf({ kind: 'remove', removed, keyPackage: new Uint8Array(n) }, ENTRY_HEADS_MAX);
    assert.equal(rm(KEY_PACKAGE_MAX_BYTES), BLOB_SIZE_MAX);
    assert.equal(codeOf(() => rm(KEY_PACKAGE_MAX_BYTES + 1)), ProtocolErrorCode.OVERSIZED);
    // 1,000 members: a sealed 32-byte secret and a 33-byte checkpoint record each, plus overhead.
    assert.ok(1000 * (32 + SEALED_BOX_OVERHEAD_BYTES + 33) + 1024 <= KEY_PACKAGE_MAX_BYTES);
    assert.ok(BLOB_SIZES.every((s, i) => i === 0 || s > BLOB_SIZES[i - 1]!));
  });
});
