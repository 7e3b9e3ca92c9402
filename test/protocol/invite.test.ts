import assert from 'node:assert/strict';
import { base32Encode } from '../../protocol/base32.js';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { decodeCertificate, encodeCertificate } from '../../protocol/certificate.js';
import { createCheckpoint, decodeCheckpoint, encodeCheckpoint } from '../../protocol/checkpoint.js';
import { ed25519KeyPairFromSeed, labelledHash, ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import {
  INVITE_MAX_BYTES,
  INVITE_TEXT_MAX_CHARS,
  createInvite,
  decodeInvite,
  consumeInvite,
  consumeInviteBytes,
  decodeInviteBytes,
  encodeInvite,
  encodeInviteBytes,
  inviteGroupId,
  type EpochSecret,
  type Invite,
  type InviteInit,
} from '../../protocol/invite.js';
import type { EpochSecretJson, InviteVector, RosterVector } from '../helpers/group-vectors.js';
import { codeOf, readVectors } from '../helpers/vectors.js';

function epochOf(e: EpochSecretJson): EpochSecret {
  return { epoch: { number: e.number, opener: fromHex(e.opener) }, secret: fromHex(e.secret) };
}

function initOf(v: InviteVector): InviteInit {
  return {
    inviteEntry: fromHex(v.inviteEntry),
    genesis: fromHex(v.genesis),
    checkpoint: v.checkpoint === null ? null : decodeCheckpoint(fromHex(v.checkpoint)),
    current: epochOf(v.current),
    history: v.history.map(epochOf),
    certificates: (v.certificates ?? []).map((c) => decodeCertificate(fromHex(c))),
    name: v.name,
    pubs: v.pubs,
  };
}

/** The binary invite with its body changed by `edit` and a correct checksum again. */
function rechecksummed(bytes: Uint8Array, edit: (body: Uint8Array) => Uint8Array): Uint8Array {
  const body = edit(bytes.slice(0, bytes.length - 4));
  return Uint8Array.of(...body, ...labelledHash('snug/v2/invite-checksum', [body]).subarray(0, 4));
}

describe('protocol/invite', () => {
  before(ready);
  const { vectors } = readVectors<{ vectors: InviteVector[] }>('invite');

  describe('test vectors', () => {
    it('encodes each committed invite to the committed bytes and text', () => {
      assert.ok(vectors.length >= 3);
      for (const v of vectors) {
        const options = { development: v.development };
        const inv = createInvite(initOf(v), options);
        assert.equal(toHex(encodeInviteBytes(inv, options)), v.bytes, v.description);
        assert.equal(encodeInvite(inv, options), v.text);
        assert.match(v.text, /^snug2[a-z2-7]+$/);
      }
    });

    it('decodes each committed text back to the committed fields, the group id that of the genesis', () => {
      for (const v of vectors) {
        const inv = consumeInvite(v.text, { development: v.development });
        assert.equal(toHex(inviteGroupId(inv)), v.groupId);
        assert.equal(toHex(inv.inviteEntry), v.inviteEntry);
        assert.equal(toHex(inv.genesis), v.genesis);
        assert.equal(inv.checkpoint === null ? null : toHex(encodeCheckpoint(inv.checkpoint)), v.checkpoint);
        assert.deepEqual({ number: inv.current.epoch.number, opener: toHex(inv.current.epoch.opener), secret: toHex(inv.current.secret) }, v.current);
        assert.deepEqual(inv.history.map((h) => ({ number: h.epoch.number, opener: toHex(h.epoch.opener), secret: toHex(h.secret) })), v.history);
        assert.equal(inv.name, v.name);
        assert.deepEqual(inv.pubs, v.pubs);
        assert.deepEqual(inv.certificates.map((c) => toHex(encodeCertificate(c))), v.certificates ?? []);
        assert.equal(inv.version, v.certificates === undefined ? 2 : 3);
      }
    });

    it('refuses the development vector outside development mode', () => {
      const dev = vectors.filter((v) => v.development);
      assert.ok(dev.length >= 1);
      for (const v of dev) {
        assert.equal(codeOf(() => decodeInvite(v.text)), ProtocolErrorCode.DEVELOPMENT_ONLY);
        assert.equal(codeOf(() => createInvite(initOf(v))), ProtocolErrorCode.DEVELOPMENT_ONLY);
      }
    });
  });

  describe('behaviour', () => {
    let epoch0: InviteInit;
    let epoch1: InviteInit;
    before(() => {
      epoch0 = initOf(vectors[0]!);
      epoch1 = initOf(vectors[1]!);
    });

    it('round-trips through its text form', () => {
      for (const init of [epoch0, epoch1]) {
        const inv = createInvite(init);
        const back: Invite = decodeInvite(encodeInvite(inv));
        assert.deepEqual(back, inv);
      }
    });

    it('rejects a changed character as a bad checksum', () => {
      const text = encodeInvite(createInvite(epoch0));
      const i = 40;
      const changed = text.slice(0, i) + (text[i] === 'a' ? 'b' : 'a') + text.slice(i + 1);
      assert.equal(codeOf(() => decodeInvite(changed)), ProtocolErrorCode.BAD_CHECKSUM);
    });

    it('rejects text without the prefix, the v1 prefix, whitespace or uppercase as malformed', () => {
      const text = encodeInvite(createInvite(epoch0));
      assert.equal(codeOf(() => decodeInvite(text.slice(5))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite('snug1' + text.slice(5))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite(text + ' ')), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite('snug2' + text.slice(5).toUpperCase())), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite('')), ProtocolErrorCode.MALFORMED);
    });

    it('rejects truncated and oversized input', () => {
      assert.equal(codeOf(() => decodeInvite('snug2')), ProtocolErrorCode.TRUNCATED);
      const bytes = encodeInviteBytes(createInvite(epoch0));
      assert.equal(codeOf(() => decodeInviteBytes(bytes.subarray(0, bytes.length - 1))), ProtocolErrorCode.BAD_CHECKSUM);
      assert.equal(codeOf(() => decodeInviteBytes(rechecksummed(bytes, (b) => b.subarray(0, 60)))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeInviteBytes(rechecksummed(bytes, (b) => Uint8Array.of(...b, 0)))), ProtocolErrorCode.OVERSIZED);
      assert.equal(codeOf(() => decodeInviteBytes(new Uint8Array(INVITE_MAX_BYTES + 1))), ProtocolErrorCode.OVERSIZED);
      assert.equal(codeOf(() => decodeInvite('snug2' + 'a'.repeat(INVITE_TEXT_MAX_CHARS))), ProtocolErrorCode.OVERSIZED);
    });

    it('carries certificates (version 3) only with a checkpoint and no history, one per checkpoint member in its order, each verified', () => {
      const v3 = initOf(vectors.find((v) => v.certificates !== undefined)!);
      const certs = v3.certificates!;
      assert.ok(certs.length >= 2);
      assert.equal(createInvite(v3).version, 3);
      assert.equal(codeOf(() => createInvite({ ...v3, history: epoch1.history })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...v3, certificates: certs.slice(1) })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...v3, certificates: [...certs].reverse() })), ProtocolErrorCode.INVALID_FIELD);
      // a certificate whose signature does not verify: decodes, and a joiner refuses it
      const forged = certs.map((c, i) => (i === 0 ? { ...c, signature: Uint8Array.from(c.signature, (b, j) => (j === 0 ? b ^ 1 : b)) } : c));
      const good = createInvite(v3);
      const text = encodeInvite({ ...good, certificates: forged });
      assert.equal(decodeInvite(text).certificates.length, certs.length);
      assert.equal(codeOf(() => consumeInvite(text)), ProtocolErrorCode.UNAUTHENTIC);
      assert.equal(codeOf(() => encodeInviteBytes({ ...good, version: 2 })), ProtocolErrorCode.UNSUPPORTED_VERSION);
    });

    it('rejects an unknown version even with a valid checksum', () => {
      const bytes = encodeInviteBytes(createInvite(epoch0));
      for (const version of [1, 4]) {
        const forged = rechecksummed(bytes, (b) => {
          b[0] = version;
          return b;
        });
        assert.equal(codeOf(() => decodeInviteBytes(forged)), ProtocolErrorCode.UNSUPPORTED_VERSION);
        assert.equal(codeOf(() => decodeInvite('snug2' + base32Encode(forged))), ProtocolErrorCode.UNSUPPORTED_VERSION);
      }
    });

    it('rejects a genesis that is not a genesis entry or does not verify', () => {
      const genesis = epoch0.genesis.slice();
      genesis[genesis.length - 1]! ^= 1; // the signature
      assert.equal(codeOf(() => createInvite({ ...epoch0, genesis, current: { ...epoch0.current, epoch: { number: 0, opener: inviteGroupId({ genesis }) } } })), ProtocolErrorCode.UNAUTHENTIC);
      const roster = readVectors<{ vectors: RosterVector[] }>('roster').vectors[0]!;
      const text = fromHex(roster.entries[roster.entries.length - 1]!);
      assert.equal(codeOf(() => createInvite({ ...epoch0, genesis: text, current: { ...epoch0.current, epoch: { number: 0, opener: inviteGroupId({ genesis: text }) } } })), ProtocolErrorCode.INVALID_FIELD);
    });

    it('rejects epochs that do not agree with the genesis and the checkpoint', () => {
      // epoch 0 named by something other than the group id
      assert.equal(codeOf(() => createInvite({ ...epoch0, current: { ...epoch0.current, epoch: { number: 0, opener: new Uint8Array(32).fill(1) } } })), ProtocolErrorCode.INVALID_FIELD);
      // a later epoch without its checkpoint
      assert.equal(codeOf(() => createInvite({ ...epoch1, checkpoint: null })), ProtocolErrorCode.INVALID_FIELD);
      // a checkpoint that does not open the epoch to join
      assert.equal(codeOf(() => createInvite({ ...epoch1, current: { ...epoch1.current, epoch: { number: 2, opener: epoch1.current.epoch.opener } } })), ProtocolErrorCode.INVALID_FIELD);
      // history must be earlier and ascending
      assert.equal(codeOf(() => createInvite({ ...epoch1, history: [epoch1.current] })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...epoch1, history: [epoch1.history[0]!, epoch1.history[0]!] })), ProtocolErrorCode.NON_CANONICAL);
      assert.equal(codeOf(() => createInvite({ ...epoch0, current: { ...epoch0.current, secret: new Uint8Array(31) } })), ProtocolErrorCode.BAD_KEY);
    });

    it('rejects a checkpoint of another group or one whose signature does not verify', () => {
      const cp = epoch1.checkpoint!;
      const other = createCheckpoint({ groupId: new Uint8Array(32).fill(5), epoch: 1, previous: { number: 0, opener: new Uint8Array(32).fill(5) }, members: cp.members }, ed25519KeyPairFromSeed(new Uint8Array(32).fill(6)));
      assert.equal(codeOf(() => createInvite({ ...epoch1, checkpoint: other })), ProtocolErrorCode.INVALID_FIELD);
      const bytes = encodeInviteBytes(createInvite(epoch1));
      const cpAt = 1 + 32 + 2 + epoch1.genesis.length + 1;
      const forged = rechecksummed(bytes, (b) => {
        b[cpAt + encodeCheckpoint(cp).length - 1]! ^= 1; // the checkpoint's signature
        return b;
      });
      assert.equal(codeOf(() => consumeInviteBytes(forged)), ProtocolErrorCode.UNAUTHENTIC);
      assert.equal(codeOf(() => consumeInvite('snug2' + base32Encode(forged))), ProtocolErrorCode.UNAUTHENTIC);
      // decoding alone checks structure, not signatures
      assert.equal(codeOf(() => decodeInviteBytes(forged)), undefined);
    });

    it('consumes a pasted invite only when its genesis verifies', () => {
      const bytes = encodeInviteBytes(createInvite(epoch0));
      const genesisEnd = 1 + 32 + 2 + epoch0.genesis.length;
      const changed = (fixOpener: boolean) =>
        'snug2' +
        base32Encode(
          rechecksummed(bytes, (b) => {
            b[genesisEnd - 1]! ^= 1; // the genesis signature, and so the group id
            // epoch 0 is named by the group id: follow it, so that only the signature is wrong
            if (fixOpener) b.set(inviteGroupId({ genesis: b.subarray(genesisEnd - epoch0.genesis.length, genesisEnd) }), genesisEnd + 1 + 4);
            return b;
          }),
        );
      assert.equal(codeOf(() => decodeInvite(changed(false))), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => decodeInvite(changed(true))), undefined);
      assert.equal(codeOf(() => consumeInvite(changed(true))), ProtocolErrorCode.UNAUTHENTIC);
      const v = createInvite(epoch0);
      assert.deepEqual(consumeInvite(encodeInvite(v)), v);
    });

    it('accepts the loopback pub only in development mode, on both sides', () => {
      const dev = { ...epoch0, pubs: ['ws://127.0.0.1:4000'] };
      assert.equal(codeOf(() => createInvite(dev)), ProtocolErrorCode.DEVELOPMENT_ONLY);
      const inv = createInvite(dev, { development: true });
      assert.equal(codeOf(() => encodeInvite(inv)), ProtocolErrorCode.DEVELOPMENT_ONLY);
      const text = encodeInvite(inv, { development: true });
      assert.equal(codeOf(() => decodeInvite(text)), ProtocolErrorCode.DEVELOPMENT_ONLY);
      assert.equal(codeOf(() => decodeInvite(text, { development: false })), ProtocolErrorCode.DEVELOPMENT_ONLY);
      assert.deepEqual(decodeInvite(text, { development: true }).pubs, ['ws://127.0.0.1:4000']);
    });

    it('rejects a pub named twice, too many pubs and an empty or over-long name', () => {
      assert.equal(codeOf(() => createInvite({ ...epoch0, pubs: [epoch0.pubs[0]!, epoch0.pubs[0]!] })), ProtocolErrorCode.NON_CANONICAL);
      assert.equal(codeOf(() => createInvite({ ...epoch0, pubs: Array.from({ length: 17 }, (_, i) => `ws://127.0.0.1:${i + 1}`) }, { development: true })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...epoch0, name: '' })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...epoch0, name: 'x'.repeat(129) })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => createInvite({ ...epoch0, name: '\ud800' })), ProtocolErrorCode.INVALID_FIELD);
    });

    it('is exactly as long as its fields: 112 bytes besides genesis, checkpoint, history, name and pubs', () => {
      // No room for anything else, such as a signature of the inviter's.
      const bytes = encodeInviteBytes(createInvite(epoch1));
      const fields = epoch1.genesis.length + encodeCheckpoint(epoch1.checkpoint!).length + 68 * epoch1.history.length + new TextEncoder().encode(epoch1.name).length + 33 * epoch1.pubs.length;
      assert.equal(bytes.length, 112 + fields);
      assert.equal(encodeInviteBytes(createInvite(epoch0)).length, 112 + epoch0.genesis.length + 8 + 33);
    });
  });
});
