import assert from 'node:assert/strict';
import { GroupPubsErrorCode } from '../../../daemon/group-pubs/errors.js';
import { GroupPubs, type GroupPubsInit } from '../../../daemon/group-pubs/group-pubs.js';
import { PubReplyErrorCode, PubTransportErrorCode } from '../../../daemon/pub-links/errors.js';
import type { RecordStore } from '../../../daemon/store/store.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import { bytesEqual } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { PubFrameType, encodeBlob, encodePage, encodePostAck, encodeSubscribed, type PubPolicy } from '../../../protocol/pub-wire.js';
import { RecordingDialer, RecordingSink, openRecordStore, startLoopbackPub, waitUntil } from '../../helpers/group-pubs.js';
import { Prng, SAMPLE_POLICY, TEST_PUB_LIMITS, makeSerialBlob, makeTempDir, removeDir, scriptedPub, type ScriptedPub, type ScriptedRequest } from '../../helpers/pub-fixtures.js';

const FAST: GroupPubsInit = { postJitterMs: 0, backoffBaseMs: 30, backoffMaxMs: 100, reconnectDelayMs: 20, connectTimeoutMs: 2_000, requestTimeoutMs: 2_000, postTimeoutMs: 2_000 };
const POLICY: PubPolicy = { ...SAMPLE_POLICY, powDifficulty: 0, blobSizes: [BLOB_SIZE_STANDARD] };

function hasCode(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

describe('daemon/group-pubs against hostile and broken pubs', function () {
  this.timeout(20_000);
  const prng = new Prng(0xbad);
  let serial = 1;
  let dir: string;
  let store: RecordStore;
  const scripted: ScriptedPub[] = [];
  const links: GroupPubs[] = [];

  const blob = () => makeSerialBlob(prng, serial++, BLOB_SIZE_STANDARD);

  async function hostile(onRequest: (frame: ScriptedRequest, send: (frame: Uint8Array) => void) => void): Promise<string> {
    const s = await scriptedPub(POLICY, onRequest);
    scripted.push(s);
    return s.url;
  }

  function start(address: string, init: GroupPubsInit = {}): { g: GroupPubs; sink: RecordingSink; dialer: RecordingDialer } {
    const sink = new RecordingSink();
    const dialer = new RecordingDialer(new DirectDialer());
    const g = new GroupPubs({ dialer, log: () => {}, sink, store }, { ...FAST, ...init });
    links.push(g);
    g.setSubscriptions([address]);
    void g.start();
    return { g, sink, dialer };
  }

  before(async () => {
    await ready();
  });

  beforeEach(async () => {
    dir = await makeTempDir('group-pubs-hostile');
    ({ store } = await openRecordStore(dir));
  });

  afterEach(async () => {
    await Promise.allSettled(links.splice(0).map((g) => g.stop()));
    await Promise.allSettled(scripted.splice(0).map((s) => s.close()));
    await store.close();
    await removeDir(dir);
  });

  it('drops a pub that answers with garbage and dials it again with backoff; the sink gets nothing', async () => {
    const address = await hostile((_frame, send) => send(prng.bytes(1 + prng.int(200))));
    const { g, sink, dialer } = start(address);
    const seen: string[] = [];
    g.addEventListener('change', (e) => {
      if (e.detail.state === 'failing' && e.detail.lastError !== null) seen.push(e.detail.lastError);
    });
    await waitUntil(() => dialer.dials.length >= 3 && seen.length >= 2, 5_000, 'three dials, two failures');
    assert.ok(seen.every((code) => code === PubReplyErrorCode.BAD_REPLY), seen.join());
    assert.equal(sink.blobs.length, 0);
    assert.equal(g.resources.sockets <= 1, true);
  });

  it('stays up through a pub answering every request with frames of the right header and random bodies, handing the sink nothing', async () => {
    const types = [PubFrameType.HELLO, PubFrameType.REFUSE, PubFrameType.POST_ACK, PubFrameType.PAGE, PubFrameType.SUBSCRIBED, PubFrameType.BLOB, PubFrameType.ERROR, 0x55];
    let frames = 0;
    const address = await hostile((frame, send) => {
      const id = 'requestId' in frame ? frame.requestId : 0;
      for (let i = 0; i < 3; i++) {
        const body = prng.bytes(prng.int(64));
        const out = new Uint8Array(6 + body.length);
        out[0] = prng.chance(0.9) ? 0x01 : prng.int(256);
        out[1] = prng.pick(types);
        new DataView(out.buffer).setUint32(2, prng.chance(0.8) ? id : prng.next32());
        out.set(body, 6);
        send(out);
        frames += 1;
      }
    });
    const { g, sink, dialer } = start(address);
    const abort = new AbortController();
    const post = g.post('g1', address, blob(), abort.signal);
    await waitUntil(() => dialer.dials.length >= 12 && frames >= 30, 10_000, 'a dozen connections of hostile frames');
    abort.abort();
    await assert.rejects(post, hasCode(GroupPubsErrorCode.ABORTED));
    assert.equal(sink.blobs.length, 0);
    assert.equal(sink.pruneNotices.length, 0);
  });

  it('drops a pub whose page goes back in cursors before any of it reaches the sink', async () => {
    const address = await hostile((frame, send) => {
      if (frame.type !== PubFrameType.FETCH) return;
      send(encodePage({ requestId: frame.requestId, more: false, pruned: false, start: 1n, next: 3n, head: 5n, blobs: [{ cursor: 5n, blob: blob() }, { cursor: 3n, blob: blob() }] }));
    });
    const { g, sink, dialer } = start(address);
    await waitUntil(() => g.status()[0]?.lastError === PubReplyErrorCode.PROTOCOL, 5_000, 'the breach');
    await waitUntil(() => dialer.dials.length >= 2, 5_000, 'a second dial');
    assert.equal(sink.blobs.length, 0);
  });

  it('drops a pub that pushes a blob below the one before it; only what came in order reached the sink', async () => {
    const first = blob();
    const address = await hostile((frame, send) => {
      if (frame.type === PubFrameType.FETCH) return send(encodePage({ requestId: frame.requestId, more: false, pruned: false, start: 1n, next: frame.since, head: frame.since, blobs: [] }));
      if (frame.type !== PubFrameType.SUBSCRIBE) return;
      send(encodeSubscribed(frame.requestId, false, 1n, frame.since));
      send(encodeBlob(frame.requestId, frame.since + 10n, first));
      send(encodeBlob(frame.requestId, frame.since + 9n, blob()));
    });
    const { g, sink } = start(address);
    await waitUntil(() => g.status()[0]?.lastError === PubReplyErrorCode.PROTOCOL, 5_000, 'the breach');
    assert.ok(sink.blobs.length >= 1);
    assert.ok(sink.blobs.every((b) => bytesEqual(b.blob, first)), 'only the blob pushed in order');
  });

  it('cuts a pub that answers nothing in time (TIMEOUT) and one that goes silent, without even a ping (IDLE)', async () => {
    const silent = await hostile(() => {});
    const { g } = start(silent, { requestTimeoutMs: 200 });
    await waitUntil(() => g.status()[0]?.lastError === PubTransportErrorCode.TIMEOUT, 5_000, 'the timeout');

    const quiet = await hostile((frame, send) => {
      if (frame.type === PubFrameType.FETCH) send(encodePage({ requestId: frame.requestId, more: false, pruned: false, start: 1n, next: frame.since, head: frame.since, blobs: [] }));
      if (frame.type === PubFrameType.SUBSCRIBE) send(encodeSubscribed(frame.requestId, false, 1n, frame.since));
    });
    const second = start(quiet, { idleTimeoutMs: 300 });
    await waitUntil(() => second.g.status()[0]?.state === 'live', 5_000, 'live');
    await waitUntil(() => second.g.status()[0]?.lastError === GroupPubsErrorCode.IDLE, 5_000, 'the idle cut');
  });

  it('keeps retrying a post that a pub answers with garbage or a broken ack, without a crash, until it is given up', async () => {
    let posts = 0;
    const address = await hostile((frame, send) => {
      if (frame.type !== PubFrameType.POST) return;
      posts += 1;
      send(posts % 2 === 0 ? encodePostAck(frame.requestId, 0n, false) : prng.bytes(40));
    });
    const sink = new RecordingSink();
    const g = new GroupPubs({ dialer: new DirectDialer(), log: () => {}, sink, store }, FAST);
    links.push(g);
    const abort = new AbortController();
    const post = g.post('g1', address, blob(), abort.signal);
    await waitUntil(() => posts >= 4, 5_000, 'four tries');
    abort.abort();
    await assert.rejects(post, hasCode(GroupPubsErrorCode.ABORTED));
  });

  it('a pub whose log ends before the saved cursor (its store was replaced) is read again from the start', async () => {
    const pubHome = `${dir}/pub`;
    const { server, address } = await startLoopbackPub(pubHome, TEST_PUB_LIMITS);
    try {
      const { g, sink } = start(address);
      await waitUntil(() => g.status()[0]?.state === 'live', 5_000, 'live');
      await g.stop();
      const { cursorCodec } = await import('../../../daemon/group-pubs/cursor.js');
      const { CURSOR_NAMESPACE } = await import('../../../daemon/group-pubs/constants.js');
      await store.collection(CURSOR_NAMESPACE, cursorCodec).put(new TextEncoder().encode(address), 5000n);
      const posted = [blob(), blob()];
      const second = new GroupPubs({ dialer: new DirectDialer(), log: () => {}, sink, store }, FAST);
      links.push(second);
      for (const b of posted) await second.post('g1', address, b);
      second.setSubscriptions([address]);
      await second.start();
      await sink.until(() => sink.blobs.length === 2);
      assert.ok(sink.blobs.every((b, i) => bytesEqual(b.blob, posted[i]!)));
    } finally {
      await server.stop();
    }
  });
});
