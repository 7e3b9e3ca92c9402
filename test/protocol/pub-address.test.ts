import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { ProtocolErrorCode } from '../../protocol/errors.js';
import { generateIdentity } from '../../protocol/identity.js';
import { isDevelopmentPubAddress, parsePubAddress, readPubAddress, readPubList, writePubList } from '../../protocol/pub-address.js';
import { codeOf } from '../helpers/vectors.js';

describe('protocol/pub-address', () => {
  before(ready);

  it('parses an onion address with or without .onion into its canonical form', () => {
    const id = generateIdentity();
    const p = parsePubAddress(id.address.slice(0, 56));
    assert.equal(p.text, id.address);
    assert.equal(p.development, false);
    assert.deepEqual(p.bytes, Uint8Array.of(0x01, ...id.publicKey));
    assert.deepEqual(readPubAddress(new ByteReader(p.bytes)), p);
  });

  it('flags the loopback form as development only', () => {
    const p = parsePubAddress('ws://127.0.0.1:65535');
    assert.equal(p.development, true);
    assert.ok(isDevelopmentPubAddress(p.text));
    assert.ok(!isDevelopmentPubAddress(generateIdentity().address));
    assert.deepEqual(p.bytes, Uint8Array.of(0x02, 0xff, 0xff));
  });

  it('rejects other forms, port 0 and unknown types', () => {
    for (const bad of ['ws://127.0.0.1:0', 'ws://127.0.0.1:65536', 'ws://127.0.0.1:080', 'ws://localhost:80', 'wss://127.0.0.1:80']) {
      assert.equal(codeOf(() => parsePubAddress(bad)), ProtocolErrorCode.MALFORMED, bad);
    }
    assert.equal(codeOf(() => readPubAddress(new ByteReader(Uint8Array.of(0x02, 0, 0)))), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => readPubAddress(new ByteReader(Uint8Array.of(0x03)))), ProtocolErrorCode.INVALID_FIELD);
  });

  it('writes and reads a list in order, at most the maximum, without repeats', () => {
    const pubs = [generateIdentity().address, 'ws://127.0.0.1:1'];
    const w = new ByteWriter();
    writePubList(w, pubs, 2);
    assert.deepEqual(readPubList(new ByteReader(w.finish()), 2), pubs);
    assert.equal(codeOf(() => writePubList(new ByteWriter(), pubs, 1)), ProtocolErrorCode.INVALID_FIELD);
    assert.equal(codeOf(() => readPubList(new ByteReader(Uint8Array.of(2, 2, 0, 1, 2, 0, 1)), 2)), ProtocolErrorCode.NON_CANONICAL);
  });
});
