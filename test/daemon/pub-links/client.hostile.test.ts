/**
 * PubClient against scripted hostile pubs: each breaks one promise the protocol makes about
 * cursors (a page that rewinds or repeats, a next or head that does not fit its blobs, a pushed
 * blob that goes back, a prune notice that reports nothing new, an ack at cursor 0). The client
 * rejects with ERR_PUB_PROTOCOL, drops the link, and hands the caller nothing of that page;
 * replies an honest pub can give at the edges (a client ahead of the pub, a page pruned empty,
 * a page that says more while posts race it) are taken as they are.
 */
import { BLOB_SIZE_STANDARD } from '../../../protocol/constants.js';
import assert from 'node:assert/strict';
import { ready } from '../../../protocol/crypto.js';
import {
  PubFrameType,
  encodeBlob,
  encodePage,
  encodePostAck,
  encodeSubscribed,
  type PageEntry,
  type PageFrame,
  type PubPolicy,
} from '../../../protocol/pub-wire.js';
import { PubClient, type PubBlob } from '../../../daemon/pub-links/client.js';
import { PubReplyErrorCode, isPubReplyError } from '../../../daemon/pub-links/errors.js';
import { DirectDialer } from '../../../daemon/transport/direct.js';
import { SAMPLE_POLICY, filledBlob, scriptedPub, type ScriptedPub, type ScriptedRequest } from '../../helpers/pub-fixtures.js';

const POLICY: PubPolicy = { ...SAMPLE_POLICY, powDifficulty: 0 };
const BLOB = filledBlob(BLOB_SIZE_STANDARD);

function entries(...cursors: bigint[]): PageEntry[] {
  return cursors.map((cursor) => ({ cursor, blob: BLOB }));
}

/** The fields of a PAGE a script gives (its request id is the FETCH's). */
type PageSpec = Omit<PageFrame, 'type' | 'requestId'>;

function page(spec: Partial<PageSpec> & Pick<PageSpec, 'next' | 'head' | 'blobs'>): PageSpec {
  return { more: false, pruned: false, start: 1n, ...spec };
}

function isProtocolBreach(err: unknown): boolean {
  return isPubReplyError(err, PubReplyErrorCode.PROTOCOL);
}

describe('daemon/pub-links/client against a hostile pub', function () {
  this.timeout(20_000);
  const pubs: ScriptedPub[] = [];
  const clients: PubClient[] = [];

  before(async () => {
    await ready();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    for (const p of pubs.splice(0)) await p.close();
  });

  async function connect(onRequest: (frame: ScriptedRequest, send: (frame: Uint8Array) => void) => void): Promise<PubClient> {
    const pub = await scriptedPub(POLICY, onRequest);
    pubs.push(pub);
    const client = await PubClient.connect(new DirectDialer(), pub.url);
    clients.push(client);
    return client;
  }

  /** A client of a pub that answers every FETCH with `pages` (all but the last flagged continues). */
  function pagesPub(pages: readonly PageSpec[]): Promise<PubClient> {
    return connect((frame, send) => {
      if (frame.type !== PubFrameType.FETCH) return;
      pages.forEach((p, i) => {
        const continues = i < pages.length - 1;
        send(encodePage({ ...p, requestId: frame.requestId, ...(continues ? { continues, more: true } : {}) }));
      });
    });
  }

  /** A client of a pub that answers a SUBSCRIBE with `frames(requestId)`. */
  function pushingPub(frames: (requestId: number) => Uint8Array[]): Promise<PubClient> {
    return connect((frame, send) => {
      if (frame.type === PubFrameType.SUBSCRIBE) for (const f of frames(frame.requestId)) send(f);
    });
  }

  /** Fetches since `since` and expects ERR_PUB_PROTOCOL, the link dropped and nothing handed over. */
  async function expectBreach(client: PubClient, since: bigint): Promise<void> {
    const handed: bigint[] = [];
    const closed = client.once('close');
    await assert.rejects(client.fetchEach(since, (blobs) => handed.push(...blobs.map((b) => b.cursor)), { limit: 100 }), isProtocolBreach);
    assert.ok(isProtocolBreach(await closed), 'the close event names the breach');
    assert.equal(client.open, false);
    assert.ok(isProtocolBreach(client.closeError));
    assert.deepEqual(handed, [], 'the page that broke the protocol was handed over');
  }

  describe('a PAGE', () => {
    it('holding a cursor not above the since asked for drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(10n, 11n), next: 11n, head: 11n })]), 10n);
    });

    it('holding a cursor at 0 (before everything) drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(0n), next: 0n, head: 5n })]), 0n);
    });

    it('whose cursors repeat drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(3n, 3n), next: 3n, head: 9n })]), 0n);
    });

    it('whose cursors go down drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(4n, 2n), next: 2n, head: 9n })]), 0n);
    });

    it('whose next is below its last cursor (a rewind) drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(5n, 6n), next: 1n, head: 9n, more: true })]), 4n);
    });

    it('whose next is above its last cursor (a skip) drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(5n, 6n), next: 9n, head: 9n })]), 4n);
    });

    it('with no blobs and a next below the since asked for (a rewind) drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: [], next: 3n, head: 20n, more: true })]), 10n);
    });

    it('holding a cursor above its head drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: entries(1n, 2n), next: 2n, head: 1n })]), 0n);
    });

    it('saying more follow while its head is not above its next (a stall) drops the link', async () => {
      await expectBreach(await pagesPub([page({ blobs: [], next: 7n, head: 7n, more: true })]), 7n);
      await expectBreach(await pagesPub([page({ blobs: entries(8n), next: 8n, head: 8n, more: true })]), 7n);
    });

    it('of a stream whose next page goes back behind the page before drops the link', async () => {
      const first = page({ blobs: entries(1n, 2n), next: 2n, head: 9n });
      for (const second of [page({ blobs: entries(2n, 3n), next: 3n, head: 9n }), page({ blobs: entries(1n), next: 1n, head: 9n })]) {
        const handed: bigint[] = [];
        const client = await pagesPub([first, second]);
        await assert.rejects(client.fetchEach(0n, (blobs) => handed.push(...blobs.map((b) => b.cursor)), { limit: 100 }), isProtocolBreach);
        assert.deepEqual(handed, [1n, 2n], 'only the page before the breach was handed over');
        assert.equal(client.open, false);
      }
    });

    it('of a stream whose next page gives a lower head drops the link', async () => {
      const client = await pagesPub([page({ blobs: entries(1n, 2n), next: 2n, head: 9n }), page({ blobs: entries(3n), next: 3n, head: 4n })]);
      await assert.rejects(client.fetch(0n, { limit: 100 }), isProtocolBreach);
      assert.equal(client.open, false);
    });

    it('carrying more blobs than asked for drops the link as a bad reply', async () => {
      const client = await pagesPub([page({ blobs: entries(1n, 2n, 3n), next: 3n, head: 3n })]);
      await assert.rejects(client.fetch(0n, { limit: 2 }), (err: unknown) => isPubReplyError(err, PubReplyErrorCode.BAD_REPLY));
      assert.equal(client.open, false);
    });
  });

  describe('a subscription', () => {
    it('pushed a blob not above the since subscribed from drops the link', async () => {
      const seen: bigint[] = [];
      const client = await pushingPub((id) => [encodeSubscribed(id, false, 1n, 9n), encodeBlob(id, 5n, BLOB)]);
      const closed = client.once('close');
      await client.subscribe(5n, (b) => seen.push(b.cursor));
      assert.ok(isProtocolBreach(await closed));
      assert.deepEqual(seen, []);
    });

    it('pushed a blob not above the last one pushed (a replay) drops the link', async () => {
      const seen: bigint[] = [];
      const client = await pushingPub((id) => [encodeSubscribed(id, false, 1n, 9n), encodeBlob(id, 3n, BLOB), encodeBlob(id, 4n, BLOB), encodeBlob(id, 4n, BLOB), encodeBlob(id, 5n, BLOB)]);
      const closed = client.once('close');
      await client.subscribe(2n, (b) => seen.push(b.cursor));
      assert.ok(isProtocolBreach(await closed));
      assert.deepEqual(seen, [3n, 4n], 'nothing was delivered from the replay on');
      assert.equal(client.open, false);
    });

    it('told of a prune again without a new one drops the link', async () => {
      const pruned: bigint[] = [];
      const client = await pushingPub((id) => [encodeSubscribed(id, true, 5n, 9n), encodeBlob(id, 5n, BLOB), encodeSubscribed(id, true, 5n, 9n)]);
      const closed = client.once('close');
      const r = await client.subscribe(0n, () => {}, { onPruned: (info) => pruned.push(info.start) });
      assert.equal(r.pruned, true);
      assert.ok(isProtocolBreach(await closed));
      assert.deepEqual(pruned, [5n]);
    });

    it('sent a second SUBSCRIBED that says nothing was pruned drops the link', async () => {
      const client = await pushingPub((id) => [encodeSubscribed(id, false, 1n, 9n), encodeSubscribed(id, false, 1n, 9n)]);
      const closed = client.once('close');
      await client.subscribe(0n, () => {});
      assert.ok(isProtocolBreach(await closed));
    });

    it('takes later prune notices with a higher start, and blobs after them', async () => {
      const pruned: bigint[] = [];
      const seen: bigint[] = [];
      const client = await pushingPub((id) => [
        encodeSubscribed(id, false, 1n, 9n),
        encodeBlob(id, 1n, BLOB),
        encodeSubscribed(id, true, 4n, 9n),
        encodeBlob(id, 4n, BLOB),
        encodeSubscribed(id, true, 6n, 9n),
        encodeBlob(id, 6n, BLOB),
      ]);
      await client.subscribe(0n, (b: PubBlob) => seen.push(b.cursor), { onPruned: (info) => pruned.push(info.start) });
      for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, [1n, 4n, 6n]);
      assert.deepEqual(pruned, [4n, 6n]);
      assert.equal(client.open, true);
    });
  });

  it('a POST_ACK at cursor 0 drops the link', async () => {
    const client = await connect((frame, send) => {
      if (frame.type === PubFrameType.POST) send(encodePostAck(frame.requestId, 0n, false));
    });
    await assert.rejects(client.post(BLOB), isProtocolBreach);
    assert.equal(client.open, false);
  });

  describe('replies an honest pub gives at the edges are taken', () => {
    it('an empty page for a client ahead of the pub (since above head)', async () => {
      const client = await pagesPub([page({ blobs: [], next: 50n, head: 20n })]);
      const r = await client.fetch(50n);
      assert.deepEqual({ ...r, blobs: r.blobs.length }, { blobs: 0, next: 50n, more: false, pruned: false, start: 1n, head: 20n });
      assert.equal(client.open, true);
    });

    it('an empty page pruned past the since asked for (next is start - 1)', async () => {
      const client = await pagesPub([page({ blobs: [], next: 30n, head: 30n, pruned: true, start: 31n })]);
      const r = await client.fetch(2n);
      assert.equal(r.next, 30n);
      assert.equal(r.pruned, true);
      assert.equal(client.open, true);
    });

    it('an empty page that says more (a post landed while the page was read)', async () => {
      const client = await pagesPub([page({ blobs: [], next: 4n, head: 5n, more: true })]);
      const r = await client.fetch(4n);
      assert.equal(r.more, true);
      assert.equal(client.open, true);
    });

    it('a stream whose pages go on from the one before, and whose head grows', async () => {
      const client = await pagesPub([page({ blobs: entries(3n, 4n), next: 4n, head: 6n, pruned: true, start: 3n }), page({ blobs: entries(5n, 6n, 7n), next: 7n, head: 7n })]);
      const r = await client.fetch(0n, { limit: 100 });
      assert.deepEqual(r.blobs.map((b) => b.cursor), [3n, 4n, 5n, 6n, 7n]);
      assert.equal(r.pruned, true);
      assert.equal(r.head, 7n);
    });
  });
});
