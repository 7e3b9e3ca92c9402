import assert from 'node:assert/strict';
import { BLOB_SIZE_MAX, BLOB_SIZES, BLOB_VERSION } from '../../protocol/constants.js';
import { isProtocolError, ProtocolErrorCode } from '../../protocol/errors.js';
import {
  PUB_WIRE_VERSION,
  ErrorFrameCode,
  PubFrameType,
  checkBlob,
  decodeClientFrame,
  decodeFrame,
  decodeServerFrame,
  encodeBlob,
  encodeError,
  encodeFetch,
  encodeHello,
  encodeHelloRequest,
  encodePage,
  encodePost,
  encodePostAck,
  encodeRefuse,
  encodeSubscribe,
  encodeSubscribed,
} from '../../protocol/pub-wire.js';
import { SAMPLE_POLICY, filledBlob } from '../helpers/pub-fixtures.js';

const policy = SAMPLE_POLICY;
const blob = filledBlob;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isProtocolError(err), `expected a ProtocolError, got ${String(err)}`);
    return err.code;
  }
  return 'no error';
}

/** One encoding of every frame type. */
function everyFrame(): Array<[string, Uint8Array]> {
  return [
    ['HELLO', encodeHello(policy)],
    ['REFUSE', encodeRefuse(1, 1)],
    ['HELLO_REQUEST', encodeHelloRequest()],
    ['POST', encodePost(7, 123_456_789n, blob())],
    ['FETCH', encodeFetch(8, 99n, 50)],
    ['SUBSCRIBE', encodeSubscribe(9, 0n)],
    ['POST_ACK', encodePostAck(7, 1n, true)],
    ['PAGE', encodePage({ requestId: 8, more: true, pruned: true, start: 3n, next: 5n, head: 10n, blobs: [{ cursor: 4n, blob: blob() }, { cursor: 5n, blob: blob(BLOB_SIZES[1]!, 1) }] })],
    ['PAGE continuing', encodePage({ requestId: 8, more: true, pruned: false, continues: true, start: 1n, next: 4n, head: 10n, blobs: [{ cursor: 4n, blob: blob() }] })],
    ['SUBSCRIBED', encodeSubscribed(9, false, 1n, 10n)],
    ['BLOB', encodeBlob(9, 11n, blob())],
    ['ERROR', encodeError(7, ErrorFrameCode.RATE_LIMITED, 250)],
  ];
}

describe('protocol/pub-wire', () => {
  it('round-trips every frame: decoding then encoding gives the same bytes', () => {
    for (const [name, bytes] of everyFrame()) {
      const frame = decodeFrame(bytes);
      let again: Uint8Array;
      switch (frame.type) {
        case PubFrameType.HELLO: again = encodeHello(frame.policy); break;
        case PubFrameType.REFUSE: again = encodeRefuse(frame.minVersion, frame.maxVersion); break;
        case PubFrameType.HELLO_REQUEST: again = encodeHelloRequest(); break;
        case PubFrameType.POST: again = encodePost(frame.requestId, frame.nonce, frame.blob); break;
        case PubFrameType.FETCH: again = encodeFetch(frame.requestId, frame.since, frame.limit); break;
        case PubFrameType.SUBSCRIBE: again = encodeSubscribe(frame.requestId, frame.since); break;
        case PubFrameType.POST_ACK: again = encodePostAck(frame.requestId, frame.cursor, frame.duplicate); break;
        case PubFrameType.PAGE: again = encodePage(frame); break;
        case PubFrameType.SUBSCRIBED: again = encodeSubscribed(frame.requestId, frame.pruned, frame.start, frame.head); break;
        case PubFrameType.BLOB: again = encodeBlob(frame.requestId, frame.cursor, frame.blob); break;
        case PubFrameType.ERROR: again = encodeError(frame.requestId, frame.code, frame.retryAfterMs); break;
      }
      assert.equal(hex(again), hex(bytes), name);
    }
  });

  it('decodes the fields it encodes', () => {
    const hello = decodeServerFrame(encodeHello(policy));
    assert.equal(hello.type, PubFrameType.HELLO);
    if (hello.type === PubFrameType.HELLO) assert.deepEqual(hello.policy, { ...policy, powContext: policy.powContext });
    const page = decodeServerFrame(everyFrame()[7]![1]);
    assert.equal(page.type, PubFrameType.PAGE);
    if (page.type === PubFrameType.PAGE) {
      assert.deepEqual([page.more, page.pruned, page.start, page.next, page.head], [true, true, 3n, 5n, 10n]);
      assert.deepEqual(page.blobs.map((b) => [b.cursor, b.blob.length]), [[4n, BLOB_SIZES[0]!], [5n, BLOB_SIZES[1]!]]);
    }
    const post = decodeClientFrame(encodePost(0xffff_ffff, (1n << 64n) - 1n, blob()));
    assert.equal(post.type, PubFrameType.POST);
    if (post.type === PubFrameType.POST) {
      assert.equal(post.requestId, 0xffff_ffff);
      assert.equal(post.nonce, (1n << 64n) - 1n);
    }
  });

  it('lays frames out byte by byte as docs/pub-protocol.md says', () => {
    assert.equal(hex(encodeFetch(0x01020304, 0x05n, 0x0607)), '0111' + '01020304' + '0000000000000005' + '0607');
    assert.equal(hex(encodeSubscribe(1, 2n)), '0112' + '00000001' + '0000000000000002');
    assert.equal(hex(encodePostAck(1, 0x0a0bn, true)), '0120' + '00000001' + '01' + '0000000000000a0b');
    assert.equal(hex(encodeSubscribed(2, true, 3n, 4n)), '0122' + '00000002' + '02' + '0000000000000003' + '0000000000000004');
    assert.equal(hex(encodeError(5, ErrorFrameCode.BAD_POW, 0x10)), '017f' + '00000005' + '0006' + '00000010');
    assert.equal(hex(encodeRefuse(1, 3)), '0102' + '01' + '03');
    assert.equal(hex(encodeHelloRequest()), '0113');
    const post = encodePost(1, 2n, Uint8Array.of(BLOB_VERSION, 0xee));
    assert.equal(hex(post), '0110' + '00000001' + '0000000000000002' + '00000002' + hex(Uint8Array.of(BLOB_VERSION)) + 'ee');
    const page = encodePage({ requestId: 1, more: false, pruned: false, start: 1n, next: 2n, head: 2n, blobs: [{ cursor: 2n, blob: Uint8Array.of(1) }] });
    assert.equal(hex(page), '0121' + '00000001' + '00' + '0000000000000001' + '0000000000000002' + '0000000000000002' + '0001' + '0000000000000002' + '00000001' + '01');
    const hello = encodeHello(policy);
    assert.equal(hello.length, 2 + 32 + 1 + 1 + 4 * 2 + 4 + 2 + 4 + 4 + 4 + 2 + 8 + 8 + 4);
    assert.equal(hex(hello.subarray(0, 2)), '0101');
    assert.equal(hex(hello.subarray(34, 44)), '10' + '02' + '00001400' + '00005000');
  });

  it('flags a page that another page answering the same fetch follows (bit 2), only together with more', () => {
    const page = { requestId: 1, more: true, pruned: false, start: 1n, next: 2n, head: 3n, blobs: [{ cursor: 2n, blob: Uint8Array.of(1) }] };
    const continuing = encodePage({ ...page, continues: true });
    assert.equal(continuing[6], 0x05);
    assert.deepEqual(decodeFrame(continuing), { type: PubFrameType.PAGE, ...page, continues: true });
    assert.equal(encodePage(page)[6], 0x01);
    const bad = encodePage({ ...page, continues: true });
    bad[6] = 0x04;
    assert.equal(codeOf(() => decodeFrame(bad)), ProtocolErrorCode.INVALID_FIELD);
    bad[6] = 0x08;
    assert.equal(codeOf(() => decodeFrame(bad)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects every truncation of every frame with TRUNCATED', () => {
    for (const [name, bytes] of everyFrame()) {
      for (let len = 0; len < bytes.length; len += len < 64 ? 1 : 997) {
        assert.equal(codeOf(() => decodeFrame(bytes.subarray(0, len))), ProtocolErrorCode.TRUNCATED, `${name} cut to ${len}`);
      }
    }
  });

  it('rejects trailing bytes after any frame with OVERSIZED', () => {
    for (const [name, bytes] of everyFrame()) {
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.equal(codeOf(() => decodeFrame(longer)), ProtocolErrorCode.OVERSIZED, name);
    }
  });

  it('rejects a frame above maxBytes before reading it', () => {
    assert.equal(codeOf(() => decodeFrame(encodePost(1, 0n, blob()), { maxBytes: 100 })), ProtocolErrorCode.OVERSIZED);
  });

  it('rejects a blob length above the largest blob size with OVERSIZED', () => {
    const bytes = encodePost(1, 0n, Uint8Array.of(1));
    new DataView(bytes.buffer).setUint32(14, BLOB_SIZE_MAX + 1);
    assert.equal(codeOf(() => decodeFrame(bytes)), ProtocolErrorCode.OVERSIZED);
    assert.equal(codeOf(() => encodeBlob(1, 1n, new Uint8Array(BLOB_SIZE_MAX + 1))), ProtocolErrorCode.OVERSIZED);
  });

  it('rejects another version with UNSUPPORTED_VERSION, but reads REFUSE whatever its version', () => {
    const fetch = encodeFetch(1, 0n, 1);
    fetch[0] = 2;
    assert.equal(codeOf(() => decodeFrame(fetch)), ProtocolErrorCode.UNSUPPORTED_VERSION);
    const refuse = encodeRefuse(2, 3);
    refuse[0] = 3;
    const frame = decodeServerFrame(refuse);
    assert.deepEqual(frame, { type: PubFrameType.REFUSE, minVersion: 2, maxVersion: 3 });
  });

  it('rejects unknown frame types, reserved flags and unknown error codes with INVALID_FIELD', () => {
    assert.equal(codeOf(() => decodeFrame(Uint8Array.of(PUB_WIRE_VERSION, 0x55, 0, 0))), ProtocolErrorCode.INVALID_FIELD);
    const ack = encodePostAck(1, 1n, false);
    ack[6] = 0x80;
    assert.equal(codeOf(() => decodeFrame(ack)), ProtocolErrorCode.INVALID_FIELD);
    const err = encodeError(1, ErrorFrameCode.INTERNAL);
    err[7] = 0xff;
    assert.equal(codeOf(() => decodeFrame(err)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('rejects a hello whose blob sizes are not strictly ascending, or absent', () => {
    const twice = encodeHello(policy);
    new DataView(twice.buffer).setUint32(40, BLOB_SIZES[0]!);
    assert.equal(codeOf(() => decodeFrame(twice)), ProtocolErrorCode.NON_CANONICAL);
    const none = encodeHello(policy);
    none[35] = 0;
    assert.equal(codeOf(() => decodeFrame(none)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeHello({ ...policy, powDifficulty: 65 })), ProtocolErrorCode.INVALID_FIELD);
  });

  it('keeps client and server frames apart', () => {
    assert.equal(codeOf(() => decodeClientFrame(encodePostAck(1, 1n, false))), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => decodeServerFrame(encodeFetch(1, 1n, 1))), ProtocolErrorCode.INVALID_FIELD);
  });

  it('refuses to encode values outside their fields', () => {
    assert.equal(codeOf(() => encodeFetch(-1, 0n, 1)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeFetch(1, -1n, 1)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeSubscribe(1, 1n << 64n)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => encodeFetch(1, 0n, 0x10000)), ProtocolErrorCode.INVALID_FIELD);
  });

  it('accepts a blob only at an accepted size with the blob version first', () => {
    assert.equal(checkBlob(blob(BLOB_SIZES[0]!)), null);
    assert.equal(checkBlob(blob(2047)), ErrorFrameCode.BAD_BLOB_SIZE);
    assert.equal(checkBlob(blob(BLOB_SIZES[1]!), [BLOB_SIZES[0]!]), ErrorFrameCode.BAD_BLOB_SIZE);
    const wrong = blob();
    wrong[0] = BLOB_VERSION + 1;
    assert.equal(checkBlob(wrong), ErrorFrameCode.BAD_BLOB_VERSION);
  });
});
