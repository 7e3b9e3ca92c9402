import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { isProtocolError, ProtocolErrorCode } from '../../../protocol/errors.js';
import {
  ByeReason,
  checkContactRequest,
  consumeAck,
  consumeBye,
  consumeContactAccept,
  consumeContactRequest,
  consumeDirectEntryFrame,
  consumeHello,
  consumePing,
  consumePong,
  consumeReply,
  contactPowContext,
  contactRequestHash,
  contactTimeBucket,
  CONTACT_MESSAGE_MAX_BYTES,
  CONTACT_NAME_MAX_BYTES,
  CONTACT_POW_BUCKET_MS,
  createAck,
  createBye,
  createContactAccept,
  createContactRequest,
  createDirectEntryFrame,
  createHello,
  createPing,
  createPong,
  createReply,
  decodeFrame,
  encodeFrame,
  openFrame,
  PEER_FRAME_MAX_BYTES,
  PeerFrameType,
  createGroupInviteFrame,
  consumeGroupInviteFrame,
  createGroupInviteAck,
  consumeGroupInviteAck,
  sealFrame,
  solveContactRequest,
  STRANGER_FRAME_KINDS,
} from '../../../protocol/peer/wire.js';
import { readVectors } from '../../helpers/vectors.js';
import { makeProfile, pairOf, run } from './fixtures.js';
import { frameFromJson, frameToJson, type FrameVectors } from './vectors.js';

const code = (c: ProtocolErrorCode) => (e: unknown) => isProtocolError(e, c);

describe('protocol/peer/wire', () => {
  before(ready);

  describe('test vectors', () => {
    const v = readVectors<FrameVectors>('peer-frames');

    it('encodes each committed frame to its committed bytes and decodes the bytes back', () => {
      assert.ok(v.frames.length >= 13);
      const kinds = new Set<string>();
      for (const f of v.frames) {
        kinds.add(f.frame.type);
        assert.equal(toHex(encodeFrame(frameFromJson(f.frame))), f.encoding, f.description);
        assert.deepEqual(frameToJson(decodeFrame(fromHex(f.encoding))), f.frame, f.description);
      }
      assert.equal(kinds.size, Object.keys(PeerFrameType).length, 'every frame type has a vector');
    });

    it('rejects each committed invalid encoding with its committed code', () => {
      assert.ok(v.invalid.length >= 15);
      for (const bad of v.invalid) {
        assert.throws(() => decodeFrame(fromHex(bad.encoding)), code(bad.code as ProtocolErrorCode), bad.description);
      }
    });

    it('reproduces each committed contact request proof of work and accepts it', () => {
      for (const p of v.contactPow) {
        assert.equal(toHex(contactPowContext(p.from, p.to, p.timeBucket)), p.powContext);
        assert.equal(toHex(contactRequestHash(p.name, p.message)), p.powHash);
        const nonce = solveContactRequest({ ...p }, { start: 0n, attempts: 1_000_000 });
        assert.equal(nonce?.toString(), p.powNonce);
        const frame = consumeContactRequest(fromHex(p.encoding));
        checkContactRequest(frame, { from: p.from, to: p.to, nowMs: p.timeBucket * CONTACT_POW_BUCKET_MS, difficulty: p.difficulty });
      }
    });
  });

  describe('frames', () => {
    it('round-trips every createX through its consumeX', () => {
      assert.deepEqual(consumeHello(createHello(['z', 'direct/1', 'a.b'])).features, ['a.b', 'direct/1', 'z']);
      const req = consumeContactRequest(createContactRequest({ name: 'Ålice', message: 'hi 👋', timeBucket: 5, powNonce: 2n ** 64n - 1n }));
      assert.deepEqual(req, { type: 'contact-request', name: 'Ålice', message: 'hi 👋', timeBucket: 5, powNonce: 2n ** 64n - 1n });
      assert.equal(consumeContactAccept(createContactAccept('Bob')).name, 'Bob');
      assert.equal(consumeContactAccept(createContactAccept()).name, '');
      assert.deepEqual(consumeReply(createReply()), { type: 'reply' });
      const id = new Uint8Array(32).fill(7);
      assert.equal(toHex(consumeAck(createAck(id)).entryId), toHex(id));
      const token = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
      assert.equal(toHex(consumePing(createPing(token)).token), toHex(token));
      assert.equal(toHex(consumePong(createPong(token)).token), toHex(token));
      assert.equal(consumeBye(createBye(ByeReason.GOING_AWAY)).reason, ByeReason.GOING_AWAY);
      const entryHex = readVectors<FrameVectors>('peer-frames').frames.find((f) => f.frame.type === 'direct-entry')!.frame as { entry: string };
      assert.equal(toHex(consumeDirectEntryFrame(createDirectEntryFrame(fromHex(entryHex.entry))).entry), entryHex.entry);
      const inviteHex = readVectors<FrameVectors>('peer-frames').frames.find((f) => f.frame.type === 'group-invite')!.frame as { invite: string };
      assert.equal(toHex(consumeGroupInviteFrame(createGroupInviteFrame(fromHex(inviteHex.invite))).invite), inviteHex.invite);
      assert.equal(toHex(consumeGroupInviteAck(createGroupInviteAck(id)).inviteEntry), toHex(id));
    });

    it('refuses a group invite frame whose invite does not decode, and keeps strangers from sending one', () => {
      assert.throws(() => createGroupInviteFrame(new Uint8Array(40)), (err: unknown) => isProtocolError(err));
      assert.throws(() => createGroupInviteFrame(new Uint8Array(0)), code(ProtocolErrorCode.INVALID_FIELD));
      assert.ok(!STRANGER_FRAME_KINDS.has('group-invite'));
    });

    it('gives a stranger one reply, the same two bytes whatever the reason', () => {
      assert.equal(toHex(createReply()), '0104');
      assert.equal(toHex(createReply()), toHex(encodeFrame({ type: 'reply' })));
      assert.ok(STRANGER_FRAME_KINDS.has('contact-request'));
      assert.ok(!STRANGER_FRAME_KINDS.has('direct-entry'));
    });

    it('refuses a frame of another kind than asked for with INVALID_FIELD', () => {
      assert.throws(() => consumeAck(createReply()), code(ProtocolErrorCode.INVALID_FIELD));
    });

    it('bounds every field when encoding', () => {
      assert.throws(() => createContactAccept('x'.repeat(CONTACT_NAME_MAX_BYTES + 1)), code(ProtocolErrorCode.TOO_LONG));
      assert.throws(() => createContactRequest({ name: '', message: 'x'.repeat(CONTACT_MESSAGE_MAX_BYTES + 1), timeBucket: 0, powNonce: 0n }), code(ProtocolErrorCode.TOO_LONG));
      assert.throws(() => createContactRequest({ name: '\ud800', message: '', timeBucket: 0, powNonce: 0n }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createContactRequest({ name: '', message: '', timeBucket: -1, powNonce: 0n }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createContactRequest({ name: '', message: '', timeBucket: 0, powNonce: 2n ** 64n }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createHello(['UPPER']), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createHello(['a', 'a']), code(ProtocolErrorCode.NON_CANONICAL));
      assert.throws(() => createHello(Array.from({ length: 33 }, (_, i) => `f${i}`)), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createAck(new Uint8Array(31)), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createPing(new Uint8Array(9)), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createBye(9 as ByeReason), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createDirectEntryFrame(new Uint8Array(0)), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => createDirectEntryFrame(new Uint8Array(PEER_FRAME_MAX_BYTES)), code(ProtocolErrorCode.OVERSIZED));
      assert.throws(() => createDirectEntryFrame(Uint8Array.of(1, 2, 3)), (e) => isProtocolError(e));
    });

    it('refuses a frame over the largest size before reading it', () => {
      const big = new Uint8Array(PEER_FRAME_MAX_BYTES + 1);
      big[0] = 1;
      big[1] = 5;
      assert.throws(() => decodeFrame(big), code(ProtocolErrorCode.OVERSIZED));
    });

    it('carries frames over an established link both ways', () => {
      const a = makeProfile();
      const b = makeProfile();
      const { i, r } = pairOf(a, b);
      run(i, r);
      const ab = sealFrame(i.result().send, { type: 'hello', features: ['direct/1'] });
      assert.deepEqual(openFrame(r.result().receive, ab), { type: 'hello', features: ['direct/1'] });
      const ba = sealFrame(r.result().send, { type: 'ping', token: new Uint8Array(8) });
      assert.equal(openFrame(i.result().receive, ba).type, 'ping');
    });
  });

  describe('the contact request\'s proof of work', () => {
    const alice = 'this is replaced in before';
    let from = alice;
    let to = alice;
    let other = alice;
    before(() => {
      from = makeProfile().address;
      to = makeProfile().address;
      other = makeProfile().address;
    });

    function solved(bucket: number, difficulty = 10, name = 'A', message = 'hello') {
      const nonce = solveContactRequest({ from, to, name, message, timeBucket: bucket, difficulty }, { start: 0n, attempts: 1 << 20 });
      assert.ok(nonce !== null);
      return consumeContactRequest(createContactRequest({ name, message, timeBucket: bucket, powNonce: nonce }));
    }

    it('accepts a request with enough work, within one bucket of now', () => {
      const now = 1_767_225_600_000;
      const bucket = contactTimeBucket(now);
      for (const b of [bucket - 1, bucket, bucket + 1]) checkContactRequest(solved(b), { from, to, nowMs: now, difficulty: 10 });
    });

    it('refuses a request for another time with INVALID_FIELD', () => {
      const now = 1_767_225_600_000;
      const bucket = contactTimeBucket(now);
      assert.throws(() => checkContactRequest(solved(bucket - 2), { from, to, nowMs: now, difficulty: 10 }), code(ProtocolErrorCode.INVALID_FIELD));
      assert.throws(() => checkContactRequest(solved(bucket + 2), { from, to, nowMs: now, difficulty: 10 }), code(ProtocolErrorCode.INVALID_FIELD));
    });

    it('binds the work to both addresses and to the name and message (UNAUTHENTIC otherwise)', () => {
      const now = 1_767_225_600_000;
      const req = solved(contactTimeBucket(now), 16);
      checkContactRequest(req, { from, to, nowMs: now, difficulty: 16 });
      assert.throws(() => checkContactRequest(req, { from: other, to, nowMs: now, difficulty: 16 }), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => checkContactRequest(req, { from, to: other, nowMs: now, difficulty: 16 }), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => checkContactRequest(req, { from: to, to: from, nowMs: now, difficulty: 16 }), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => checkContactRequest({ ...req, message: 'hellp' }, { from, to, nowMs: now, difficulty: 16 }), code(ProtocolErrorCode.UNAUTHENTIC));
      assert.throws(() => checkContactRequest({ ...req, name: 'B' }, { from, to, nowMs: now, difficulty: 16 }), code(ProtocolErrorCode.UNAUTHENTIC));
    });

    it('refuses too little work with UNAUTHENTIC', () => {
      const now = 1_767_225_600_000;
      const req = solved(contactTimeBucket(now), 4);
      // A nonce good for 4 bits is (almost surely) not good for 24.
      assert.throws(() => checkContactRequest(req, { from, to, nowMs: now, difficulty: 24 }), code(ProtocolErrorCode.UNAUTHENTIC));
    });
  });
});
