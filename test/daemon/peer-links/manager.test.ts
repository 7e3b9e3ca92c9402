/**
 * Two link managers in-process, each with its real contacts service (on a real encrypted store),
 * its real peer listener and the development peer directory: requests both ways at once end in
 * one link, the one the lower address dialled, on both sides; and a link that drops comes back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ready } from '../../../protocol/crypto.js';
import { generateIdentity } from '../../../protocol/identity.js';
import { MemoryJournal } from '../../../daemon/api/journal.js';
import { ContactsService } from '../../../daemon/contacts/service.js';
import { DevPeerDirectory } from '../../../daemon/peer-links/dev-directory.js';
import { PeerListener } from '../../../daemon/peer-links/listener.js';
import { LinkManager, type LinkManagerInit } from '../../../daemon/peer-links/manager.js';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ownPeerFor, type OwnPeer } from '../../../daemon/peer-links/secure.js';
import { RecordStore } from '../../../daemon/store/store.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

interface Side {
  own: OwnPeer;
  store: RecordStore;
  contacts: ContactsService;
  listener: PeerListener;
  links: LinkManager;
}

async function side(dir: string, name: string, peers: DevPeerDirectory, init: Partial<LinkManagerInit> = {}): Promise<Side> {
  const own = ownPeerFor(generateIdentity());
  const store = await RecordStore.open(join(dir, name), new Uint8Array(32).fill(3));
  const contacts = new ContactsService({ log: () => {} });
  await contacts.open({ store, address: own.address, name, dh: own.keys.dh, journal: new MemoryJournal() });
  const listener = new PeerListener({});
  await listener.start();
  const links = new LinkManager({ policy: contacts, dialer: peers.dialer(), log: () => {} }, { own, powBits: 8, reconnectDelayMs: 50, backoffBaseMs: 50, ...init });
  contacts.attachLinks(links);
  listener.serve((ws) => links.accept(ws));
  await peers.publish(own.address, listener.url!);
  return { own, store, contacts, listener, links };
}

async function until(ok: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('never happened');
    await sleep(20);
  }
}

describe('daemon/peer-links/manager', function () {
  this.timeout(30_000);
  let dir: string;
  let peers: DevPeerDirectory;
  let a: Side;
  let b: Side;

  before(ready);
  beforeEach(async function () {
    dir = await makeTempDir('links');
    peers = new DevPeerDirectory(join(dir, 'peers'));
    const init = this.currentTest?.title.includes('offline') ? { concurrency: 2, coldSlots: 1, stallMs: 200, dialTimeoutMs: 20_000 } : {};
    [a, b] = await Promise.all([side(dir, 'a', peers, init), side(dir, 'b', peers)]);
  });
  afterEach(async () => {
    for (const s of [a, b]) {
      await s.links.stop();
      await s.listener.stop();
      await s.contacts.close();
      await s.store.close();
    }
    await removeDir(dir);
  });

  it('keeps one link, the one the lower address dialled, when both ask at once', async () => {
    await Promise.all([a.contacts.add(b.own.address), b.contacts.add(a.own.address)]);
    await Promise.all([a.links.start(), b.links.start()]);
    await until(() => a.links.isOnline(b.own.address) && b.links.isOnline(a.own.address));
    await sleep(500); // let a second link, if any, be settled
    const lowerIsA = a.own.address < b.own.address;
    assert.deepEqual(a.links.linkOf(b.own.address), { dialledByUs: lowerIsA });
    assert.deepEqual(b.links.linkOf(a.own.address), { dialledByUs: !lowerIsA });
    assert.equal(a.contacts.relation(b.own.address), 'accepted');
    assert.equal(b.contacts.relation(a.own.address), 'accepted');
  });

  it('dials a dropped link again, and closes it when the contact is blocked', async () => {
    await a.contacts.add(b.own.address);
    await Promise.all([a.links.start(), b.links.start()]);
    await until(() => b.contacts.relation(a.own.address) === 'incoming');
    await b.contacts.accept(a.own.address);
    await until(() => a.links.isOnline(b.own.address) && b.links.isOnline(a.own.address));
    // b's listener goes away and comes back on the same directory entry: a reconnects
    await b.links.stop();
    await until(() => !a.links.isOnline(b.own.address));
    await b.links.start();
    await until(() => a.links.isOnline(b.own.address) && b.links.isOnline(a.own.address));
    await b.contacts.block(a.own.address);
    await until(() => !a.links.isOnline(b.own.address) && !b.links.isOnline(a.own.address));
  });

  it('does not let offline contacts that were reachable lately starve a dial to one that is online', async () => {
    // ten accepted contacts, seen a moment ago, whose addresses lead to a server that never answers
    const sockets = new Set<Socket>();
    const hang: Server = createServer((sock) => sockets.add(sock));
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    try {
      for (let i = 0; i < 10; i++) {
        const other = ownPeerFor(generateIdentity());
        await a.contacts.requestReceived(other.address, { name: null, message: null }, other.certificate);
        await a.contacts.accept(other.address);
        a.contacts.linkChanged(other.address, true, other.certificate);
        await peers.publish(other.address, url);
      }
      await a.contacts.add(b.own.address); // never seen: dialled last
      const started = Date.now();
      await Promise.all([a.links.start(), b.links.start()]);
      await until(() => b.contacts.relation(a.own.address) === 'incoming', 5_000);
      const ms = Date.now() - started;
      assert.ok(sockets.size >= 2, 'the offline contacts were dialled first');
      assert.ok(ms < 5_000, `${ms} ms`);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => hang.close(() => resolve()));
    }
  });
});
