import assert from 'node:assert/strict';
import { base32Decode, base32Encode } from '../../protocol/base32.js';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { INVITE_PUBS_MAX } from '../../protocol/constants.js';
import { labelledHash, ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { generateEpochSecret as generateGroupSecret } from '../../protocol/group.js';
import { generateIdentity } from '../../protocol/identity.js';
import { decodeInvite, decodeInviteBytes, encodeInvite, encodeInviteBytes, parsePubAddress, type Invite } from '../../protocol/invite.js';
import { codeOf, readVectors, type InviteVector } from '../helpers/vectors.js';

describe('protocol/invite', () => {
  before(ready);

  describe('test vectors', () => {
    const { vectors } = readVectors<{ vectors: InviteVector[] }>('invite');

    it('encodes each committed invite to the committed bytes and text', () => {
      assert.ok(vectors.length >= 3);
      for (const v of vectors) {
        const inv = { secret: fromHex(v.secret), name: v.name, pubs: v.pubs };
        assert.equal(toHex(encodeInviteBytes(inv)), v.bytes);
        assert.equal(encodeInvite(inv), v.text);
      }
    });

    it('decodes each committed text back to the committed fields', () => {
      for (const v of vectors) {
        const inv = decodeInvite(v.text);
        assert.equal(toHex(inv.secret), v.secret);
        assert.equal(inv.name, v.name);
        assert.deepEqual(inv.pubs, v.pubs);
      }
    });
  });

  describe('behaviour', () => {
    function sample(): Invite {
      return { secret: generateGroupSecret(), name: 'friends', pubs: [generateIdentity().address, 'ws://127.0.0.1:4000'] };
    }

    it('round-trips through its text form', () => {
      const inv = sample();
      const text = encodeInvite(inv);
      assert.match(text, /^snug1[a-z2-7]+$/);
      const back = decodeInvite(text);
      assert.deepEqual(back, inv);
    });

    it('rejects a changed character as a bad checksum', () => {
      const text = encodeInvite(sample());
      const i = 30;
      const changed = text.slice(0, i) + (text[i] === 'a' ? 'b' : 'a') + text.slice(i + 1);
      assert.equal(codeOf(() => decodeInvite(changed)), ProtocolErrorCode.BAD_CHECKSUM);
    });

    it('rejects text without the prefix, with whitespace or uppercase as malformed', () => {
      const text = encodeInvite(sample());
      assert.equal(codeOf(() => decodeInvite(text.slice(5))), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite(text + ' ')), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite('snug1' + text.slice(5).toUpperCase())), ProtocolErrorCode.MALFORMED);
      assert.equal(codeOf(() => decodeInvite('')), ProtocolErrorCode.MALFORMED);
    });

    it('rejects a truncated invite', () => {
      assert.equal(codeOf(() => decodeInvite('snug1')), ProtocolErrorCode.TRUNCATED);
      const bytes = encodeInviteBytes(sample());
      assert.equal(codeOf(() => decodeInviteBytes(bytes.subarray(0, 3))), ProtocolErrorCode.TRUNCATED);
      assert.equal(codeOf(() => decodeInviteBytes(bytes.subarray(0, bytes.length - 1))), ProtocolErrorCode.BAD_CHECKSUM);
    });

    it('rejects an unknown version even with a valid checksum', () => {
      const bytes = encodeInviteBytes(sample());
      const body = bytes.slice(0, bytes.length - 4);
      body[0] = 2;
      const sum = labelledHash('snug/v1/invite-checksum', [body]).subarray(0, 4);
      const forged = Uint8Array.of(...body, ...sum);
      assert.equal(codeOf(() => decodeInviteBytes(forged)), ProtocolErrorCode.UNSUPPORTED_VERSION);
      assert.equal(codeOf(() => decodeInvite('snug1' + base32Encode(forged))), ProtocolErrorCode.UNSUPPORTED_VERSION);
    });

    it('rejects base32 with non-zero padding bits as non-canonical', () => {
      const text = encodeInvite(sample());
      const payload = text.slice(5);
      assert.equal(base32Encode(base32Decode(payload)), payload);
      // The invite above is 33+1+7+1+33+3+4 = 82 bytes: 132 chars with 4 unused low bits.
      const last = payload[payload.length - 1]!;
      const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
      const bumped = alphabet[alphabet.indexOf(last) | 1]!;
      assert.notEqual(bumped, last);
      assert.equal(codeOf(() => decodeInvite('snug1' + payload.slice(0, -1) + bumped)), ProtocolErrorCode.NON_CANONICAL);
    });

    it('refuses an empty or too long name, too many or duplicate pubs, and a bad secret', () => {
      const inv = sample();
      assert.equal(codeOf(() => encodeInvite({ ...inv, name: '' })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encodeInvite({ ...inv, name: 'n'.repeat(129) })), ProtocolErrorCode.INVALID_FIELD);
      const many = Array.from({ length: INVITE_PUBS_MAX + 1 }, (_, i) => `ws://127.0.0.1:${1000 + i}`);
      assert.equal(codeOf(() => encodeInvite({ ...inv, pubs: many })), ProtocolErrorCode.INVALID_FIELD);
      assert.equal(codeOf(() => encodeInvite({ ...inv, pubs: [inv.pubs[0]!, inv.pubs[0]!] })), ProtocolErrorCode.NON_CANONICAL);
      assert.equal(codeOf(() => encodeInvite({ ...inv, secret: new Uint8Array(16) })), ProtocolErrorCode.BAD_KEY);
    });

    it('accepts exactly onion addresses and loopback development pubs', () => {
      const id = generateIdentity();
      assert.equal(parsePubAddress(id.address).text, id.address);
      assert.equal(parsePubAddress(id.address.slice(0, 56)).text, id.address);
      assert.equal(parsePubAddress('ws://127.0.0.1:65535').text, 'ws://127.0.0.1:65535');
      for (const bad of ['ws://127.0.0.1:0', 'ws://127.0.0.1:65536', 'ws://127.0.0.1:080', 'ws://localhost:80', 'http://x.onion', 'example.com']) {
        assert.equal(codeOf(() => parsePubAddress(bad)), ProtocolErrorCode.MALFORMED, bad);
      }
    });
  });
});
