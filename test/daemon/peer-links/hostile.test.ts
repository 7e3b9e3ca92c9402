/**
 * A real daemon's peer listener against peers that misbehave: garbage, an oversize frame, a bad
 * handshake, another version, a stranger that sends anything but a request. Each is dropped
 * without an answer (but the version refusal), and the daemon stays up.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { ready, randomBytes } from '../../../protocol/crypto.js';
import { generateIdentity, type OnionAddress } from '../../../protocol/identity.js';
import { decodeRefusal } from '../../../protocol/peer/handshake.js';
import { contactTimeBucket } from '../../../protocol/peer/wire.js';
import { PeerConnection } from '../../../daemon/peer-links/connection.js';
import { DevPeerDirectory } from '../../../daemon/peer-links/dev-directory.js';
import { ownPeerFor } from '../../../daemon/peer-links/secure.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { callOnce } from '../../helpers/daemon.js';
import { contacts, peerArgs, startPeer, type Peer } from '../../helpers/contacts.js';

function ended(ws: WebSocket): Promise<{ code: number; messages: Uint8Array[] }> {
  const messages: Uint8Array[] = [];
  ws.on('message', (d) => messages.push(new Uint8Array(d as Buffer)));
  return new Promise((resolve) => ws.once('close', (code) => resolve({ code, messages })));
}

describe('a daemon\'s peer listener against hostile peers', function () {
  this.timeout(60_000);
  let dir: string;
  let peerDir: string;
  let bob: Peer;
  let dial: (address: string) => Promise<WebSocket>;

  before(async () => {
    await ready();
    dir = await makeTempDir('hostile');
    peerDir = join(dir, 'peers');
    bob = await startPeer(dir, 'bob', peerArgs(peerDir));
    const dialer = new DevPeerDirectory(peerDir).dialer();
    dial = (a) => dialer.dial(a);
  });
  after(async () => {
    await bob?.daemon.kill();
    await removeDir(dir);
  });

  it('drops a text message, a first handshake message of the wrong length and an oversize frame without a word', async () => {
    for (const send of [(ws: WebSocket) => ws.send('hello'), (ws: WebSocket) => ws.send(Uint8Array.of(1, ...randomBytes(39))), (ws: WebSocket) => ws.send(randomBytes(200_000))]) {
      const ws = await dial(bob.address);
      const end = ended(ws);
      send(ws);
      const { code, messages } = await end;
      assert.deepEqual(messages, []);
      assert.notEqual(code, 1000);
    }
  });

  it('answers a handshake of another version with the version refusal', async () => {
    const ws = await dial(bob.address);
    const end = ended(ws);
    const m1 = new Uint8Array(33);
    m1[0] = 0x7f;
    ws.send(m1);
    const { messages } = await end;
    assert.equal(messages.length, 1);
    assert.deepEqual(decodeRefusal(messages[0]!).versions, [1]);
  });

  it('refuses a dialler that names another address than the listener holds', async () => {
    const ws = await dial(bob.address);
    await assert.rejects(PeerConnection.initiate(ws, ownPeerFor(generateIdentity()), generateIdentity().address, 5_000));
  });

  it('drops a stranger whose first frame is not a contact request, and records nothing', async () => {
    const stranger = generateIdentity();
    const ws = await dial(bob.address);
    const end = ended(ws);
    const conn = await PeerConnection.initiate(ws, ownPeerFor(stranger), bob.address as OnionAddress);
    conn.send({ type: 'ping', token: new Uint8Array(8) });
    await end;
    assert.equal(conn.lastFrameBytes, null, 'nothing was answered');
    const ws2 = await dial(bob.address);
    const end2 = ended(ws2);
    const conn2 = await PeerConnection.initiate(ws2, ownPeerFor(stranger), bob.address as OnionAddress);
    conn2.send({ type: 'contact-request', name: 'cheap', message: '', timeBucket: contactTimeBucket(Date.now()), powNonce: 0n });
    await end2;
    assert.equal(conn2.lastFrameBytes, null, 'a request without its price gets no reply');
    assert.deepEqual(await contacts(bob), []);
  });

  it('is still up and serving after all of it', async () => {
    const s = await callOnce(bob.daemon, (c) => c.call('daemon/status'));
    assert.equal(s.profile?.locked, false);
    assert.equal(bob.daemon.child.exitCode, null);
  });
});
