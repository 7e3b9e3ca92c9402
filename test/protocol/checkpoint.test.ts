import assert from 'node:assert/strict';
import { ByteWriter, fromHex, toHex } from '../../protocol/bytes.js';
import {
  GROUP_MEMBERS_MAX,
  checkpointBytes,
  checkpointRole,
  consumeCheckpoint,
  createCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  verifyCheckpoint,
  type CheckpointInit,
  type RosterMember,
} from '../../protocol/checkpoint.js';
import { ed25519KeyPairFromSeed, labelledSigningInput, ready, signLabelled } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import type { CheckpointVector } from '../helpers/group-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

describe('protocol/checkpoint', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: CheckpointVector[] }>('checkpoint');

    it('signs each committed checkpoint to the committed message, signature and bytes', () => {
      assert.ok(vectors.length >= 3);
      for (const v of vectors) {
        const signer = ed25519KeyPairFromSeed(fromHex(v.signerSeed));
        assert.equal(toHex(signer.publicKey), v.signer);
        const init: CheckpointInit = {
          groupId: fromHex(v.groupId),
          epoch: v.epoch,
          previous: { number: v.previous.number, opener: fromHex(v.previous.opener) },
          members: v.members.map((m) => ({ identityKey: fromHex(m.identityKey), role: m.role })).reverse(),
        };
        const cp = createCheckpoint(init, signer);
        const enc = encodeCheckpoint(cp);
        assert.equal(toHex(enc), v.encoding, v.description);
        assert.equal(toHex(labelledSigningInput('snug/v2/checkpoint', enc.subarray(0, enc.length - 64))), v.signedMessage);
        assert.equal(toHex(cp.signature), v.signature);
        assert.equal(toHex(signLabelled('snug/v2/checkpoint', enc.subarray(0, enc.length - 64), signer.secretKey)), v.signature);
      }
    });

    it('consumes each committed encoding to the committed fields', () => {
      for (const v of vectors) {
        const cp = consumeCheckpoint(fromHex(v.encoding), fromHex(v.groupId));
        assert.equal(cp.epoch, v.epoch);
        assert.equal(cp.previous.number, v.previous.number);
        assert.equal(toHex(cp.previous.opener), v.previous.opener);
        assert.deepEqual(cp.members.map((m) => ({ identityKey: toHex(m.identityKey), role: m.role })), v.members);
        assert.equal(toHex(cp.signer), v.signer);
        assert.equal(toHex(cp.signature), v.signature);
        assert.equal(toHex(encodeCheckpoint(cp)), v.encoding);
      }
    });
  });

  describe('behaviour', () => {
    const groupId = seed(7);
    let signer: ReturnType<typeof ed25519KeyPairFromSeed>;
    let ids: Uint8Array[];
    let members: RosterMember[];
    let init: CheckpointInit;
    before(() => {
      signer = ed25519KeyPairFromSeed(seed(1));
      ids = [2, 3, 4].map((n) => ed25519KeyPairFromSeed(seed(n)).publicKey);
      members = [
        { identityKey: ids[0]!, role: 'admin' },
        { identityKey: ids[1]!, role: 'member' },
        { identityKey: ids[2]!, role: 'member' },
      ];
      init = { groupId, epoch: 3, previous: { number: 2, opener: seed(9) }, members };
    });

    it('sorts members by identity key and finds roles by key', () => {
      const cp = createCheckpoint(init, signer);
      for (let i = 1; i < cp.members.length; i++) assert.ok(toHex(cp.members[i - 1]!.identityKey) < toHex(cp.members[i]!.identityKey));
      assert.equal(checkpointRole(cp, ids[0]!), 'admin');
      assert.equal(checkpointRole(cp, ids[2]!), 'member');
      assert.equal(checkpointRole(cp, seed(5)), null);
      assert.equal(encodeCheckpoint(cp).length, checkpointBytes(3));
    });

    it('rejects a checkpoint without an admin, without members, or naming a member twice', () => {
      assert.equal(codeOf(() => createCheckpoint({ ...init, members: members.slice(1) }, signer)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createCheckpoint({ ...init, members: [] }, signer)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createCheckpoint({ ...init, members: [...members, { identityKey: ids[1]!, role: 'admin' }] }, signer)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects an epoch 0, a previous epoch other than epoch - 1 and an epoch 1 not following the group id', () => {
      assert.equal(codeOf(() => createCheckpoint({ ...init, epoch: 0, previous: { number: -1, opener: seed(9) } }, signer)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createCheckpoint({ ...init, previous: { number: 1, opener: seed(9) } }, signer)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createCheckpoint({ ...init, epoch: 1, previous: { number: 0, opener: seed(9) } }, signer)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createCheckpoint({ ...init, epoch: 1, previous: { number: 0, opener: groupId } }, signer)), undefined);
      assert.equal(codeOf(() => createCheckpoint({ ...init, epoch: 2 ** 32, previous: { number: 2 ** 32 - 1, opener: seed(9) } }, signer)), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects a member key that is not a usable ed25519 key', () => {
      const small = new Uint8Array(32); // the identity point: small order
      small[0] = 1;
      assert.equal(codeOf(() => createCheckpoint({ ...init, members: [...members, { identityKey: small, role: 'member' }] }, signer)), ProtocolErrorCode.BAD_KEY);
    });

    it('rejects members out of order, an unknown role, truncation, trailing bytes and another version when decoding', () => {
      const enc = encodeCheckpoint(createCheckpoint(init, signer));
      const at = 1 + 32 + 4 + 4 + 32 + 2;
      const swapped = enc.slice();
      swapped.set(enc.subarray(at + 33, at + 66), at);
      swapped.set(enc.subarray(at, at + 33), at + 33);
      assert.equal(codeOf(() => decodeCheckpoint(swapped)), ProtocolErrorCode.NON_CANONICAL);
      const role = enc.slice();
      role[at + 32] = 3;
      assert.equal(codeOf(() => decodeCheckpoint(role)), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => decodeCheckpoint(enc.subarray(0, enc.length - 1))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeCheckpoint(enc.subarray(0, 10))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeCheckpoint(Uint8Array.of(...enc, 0))), ProtocolErrorCode.OVERSIZED);
      const v2 = enc.slice();
      v2[0] = 2;
      assert.equal(codeOf(() => decodeCheckpoint(v2)), ProtocolErrorCode.UNSUPPORTED_VERSION);
    });

    it('rejects a member count above the maximum before reading members', () => {
      const w = new ByteWriter().u8(1).fixed(groupId, 32).u32(3).u32(2).fixed(seed(9), 32).u16(GROUP_MEMBERS_MAX + 1);
      assert.equal(codeOf(() => decodeCheckpoint(w.finish())), ProtocolErrorCode.OVERSIZED);
      assert.equal(codeOf(() => decodeCheckpoint(new Uint8Array(checkpointBytes(GROUP_MEMBERS_MAX) + 1))), ProtocolErrorCode.OVERSIZED);
    });

    it('rejects any changed byte as unauthentic or malformed, never accepting it', () => {
      const enc = encodeCheckpoint(createCheckpoint(init, signer));
      for (let i = 0; i < enc.length; i++) {
        const changed = enc.slice();
        changed[i]! ^= 0x01;
        const code = codeOf(() => consumeCheckpoint(changed));
        assert.ok(code !== undefined, `byte ${i} changed and still accepted`);
      }
      assert.equal(codeOf(() => consumeCheckpoint(enc, seed(8))), ProtocolErrorCode.INVALID_FIELD);
    });

    it('does not verify under another signer key', () => {
      const cp = createCheckpoint(init, signer);
      assert.equal(verifyCheckpoint(cp), true);
      assert.equal(verifyCheckpoint({ ...cp, signer: ed25519KeyPairFromSeed(seed(6)).publicKey }), false);
      assert.equal(verifyCheckpoint({ ...cp, members: cp.members.slice(0, 2) }), false);
    });

    it('encodes and decodes a checkpoint of the largest group', () => {
      const big: RosterMember[] = Array.from({ length: GROUP_MEMBERS_MAX }, (_, i) => ({
        identityKey: ed25519KeyPairFromSeed(Uint8Array.from({ length: 32 }, (_, k) => (k < 2 ? (i >> (8 * k)) & 0xff : 0x42))).publicKey,
        role: i === 0 ? 'admin' : 'member',
      }));
      const enc = encodeCheckpoint(createCheckpoint({ ...init, members: big }, signer));
      assert.equal(enc.length, checkpointBytes(GROUP_MEMBERS_MAX));
      assert.equal(enc.length, 33_963);
      assert.equal(consumeCheckpoint(enc).members.length, GROUP_MEMBERS_MAX);
      const tooMany = [...big, { identityKey: ids[0]!, role: 'member' as const }];
      assert.equal(codeOf(() => createCheckpoint({ ...init, members: tooMany }, signer)), ProtocolErrorCode.OVERSIZED);
    });
  });
});
