import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ready } from '../../../protocol/crypto.js';
import { type Certificate, generateProfileKeys } from '../../../protocol/certificate.js';
import { ownPeerFor } from '../../../daemon/peer-links/secure.js';
import { generateIdentity, type OnionAddress } from '../../../protocol/identity.js';
import { isApiError } from '../../../protocol/api/errors.js';
import { MemoryJournal } from '../../../daemon/api/journal.js';
import { ContactsService } from '../../../daemon/contacts/service.js';
import { contactRecordCodec, type ContactRecord } from '../../../daemon/contacts/record.js';
import { isContactError } from '../../../daemon/contacts/errors.js';
import { RecordStore } from '../../../daemon/store/store.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

const certs = new Map<string, Certificate>();
/** A fresh address, with the certificate a handshake with it would prove. */
function address(): OnionAddress {
  const own = ownPeerFor(generateIdentity());
  certs.set(own.address, own.certificate);
  return own.address;
}
function certOf(a: string): Certificate {
  return certs.get(a)!;
}

describe('daemon/contacts', () => {
  let dir: string;
  let store: RecordStore;
  let journal: MemoryJournal;
  let contacts: ContactsService;
  let own: OnionAddress;
  const key = new Uint8Array(32).fill(7);

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('contacts');
    store = await RecordStore.open(join(dir, 'records'), key);
    journal = new MemoryJournal();
    own = address();
    contacts = new ContactsService({ log: () => {} });
    await contacts.open({ store, address: own, name: 'alice', dh: generateProfileKeys().dh, journal });
  });
  afterEach(async () => {
    await contacts.close();
    await store.close();
    await removeDir(dir);
  });

  describe('the contact record', () => {
    it('decodes what it encodes, and refuses another version, a bad state or trailing bytes', () => {
      const r: ContactRecord = {
        address: address(), state: 'incoming', delivered: true, created: 5, updated: 6, lastSeen: 7, unread: 3,
        petname: 'bo', proposedName: 'Bob ✓', message: 'hi\nthere',
      };
      const bytes = contactRecordCodec.encode(r);
      assert.deepEqual(contactRecordCodec.decode(bytes), r);
      const v2 = bytes.slice();
      v2[0] = 2;
      assert.throws(() => contactRecordCodec.decode(v2), (e: unknown) => isContactError(e, 'ERR_CONTACT_RECORD_INVALID'));
      const badState = bytes.slice();
      badState[33] = 9;
      assert.throws(() => contactRecordCodec.decode(badState), (e: unknown) => isContactError(e, 'ERR_CONTACT_RECORD_INVALID'));
      assert.throws(() => contactRecordCodec.decode(Uint8Array.of(...bytes, 0)));
    });
  });

  it('adds an outgoing contact with its petname, durably: a reopened service lists it', async () => {
    const a = address();
    const c = await contacts.add(a, 'bob', 'hello');
    assert.deepEqual([c.state, c.name, c.message, c.online, c.unread], ['outgoing', 'bob', 'hello', false, 0]);
    await contacts.close();
    await contacts.open({ store, address: own, name: 'alice', dh: generateProfileKeys().dh, journal });
    assert.deepEqual(contacts.list().map((x) => [x.address, x.state, x.name]), [[a, 'outgoing', 'bob']]);
    assert.deepEqual(contacts.dialTargets(), [{ address: a, intent: 'request', lastSeen: null, request: { name: 'alice', message: 'hello' } }]);
  });

  it('shows a stranger\'s request as incoming with its proposed name, and accepts it by contact/add', async () => {
    const a = address();
    await contacts.requestReceived(a, { name: 'Mallory?', message: 'let me in' }, certOf(a));
    const [c] = contacts.list();
    assert.deepEqual([c!.state, c!.name, c!.proposedName, c!.message], ['incoming', null, 'Mallory?', 'let me in']);
    const seen = (await journal.since(0)).notifications.map((n) => n.method);
    assert.deepEqual(seen, ['contact/didRequest']);
    const accepted = await contacts.add(a, 'mal');
    assert.deepEqual([accepted.state, accepted.name], ['accepted', 'mal']);
    assert.deepEqual(contacts.dialTargets().map((t) => t.intent), ['link']);
  });

  it('accepts an incoming request by contact/accept, and answers ERR_NOT_FOUND for an address that did not ask', async () => {
    const a = address();
    await assert.rejects(contacts.accept(a), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    await contacts.add(a);
    await assert.rejects(contacts.accept(a), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    const b = address();
    await contacts.requestReceived(b, { name: null, message: null }, certOf(b));
    assert.equal((await contacts.accept(b)).state, 'accepted');
  });

  it('records nothing from a blocked address, and a blocked stranger has a blocked row', async () => {
    const a = address();
    assert.equal((await contacts.block(a)).state, 'blocked');
    await contacts.requestReceived(a, { name: 'again', message: 'please' }, certOf(a));
    const [c] = contacts.list();
    assert.deepEqual([c!.state, c!.proposedName, c!.message], ['blocked', null, null]);
    assert.equal(contacts.relation(a), 'blocked');
    assert.equal(await contacts.acceptReceived(a), false);
  });

  it('turns outgoing into accepted when the other side accepts, and drops an accept from a stranger', async () => {
    const a = address();
    await contacts.add(a);
    assert.equal(await contacts.acceptReceived(a), true);
    assert.equal(contacts.list()[0]!.state, 'accepted');
    assert.equal(await contacts.acceptReceived(address()), false);
    assert.equal(contacts.list().length, 1);
  });

  it('forgets a removed contact (contact/didChange with contact null), after which its request is a stranger\'s', async () => {
    const a = address();
    await contacts.add(a);
    await contacts.remove(a);
    assert.deepEqual(contacts.list(), []);
    await assert.rejects(contacts.remove(a), (e: unknown) => isApiError(e, 'ERR_NOT_FOUND'));
    const last = (await journal.since(0)).notifications.at(-1)!;
    assert.equal(last.method, 'contact/didChange');
    assert.deepEqual(last.params, { seq: last.params.seq, address: a, contact: null });
    await contacts.requestReceived(a, { name: null, message: null }, certOf(a));
    assert.equal(contacts.relation(a), 'incoming');
  });

  it('refuses our own address with ERR_BAD_ADDRESS, and everything with ERR_LOCKED once closed', async () => {
    await assert.rejects(contacts.add(own), (e: unknown) => isApiError(e, 'ERR_BAD_ADDRESS'));
    await contacts.close();
    assert.throws(() => contacts.list(), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
    await assert.rejects(contacts.add(address()), (e: unknown) => isApiError(e, 'ERR_LOCKED'));
  });

  it('keeps at most the configured number of incoming requests, the oldest giving way', async () => {
    await contacts.close();
    let t = 0;
    contacts = new ContactsService({ log: () => {} }, { maxIncoming: 2, now: () => ++t });
    await contacts.open({ store, address: own, name: 'alice', dh: generateProfileKeys().dh, journal });
    const [a, b, c] = [address(), address(), address()];
    for (const x of [a, b, c]) await contacts.requestReceived(x, { name: null, message: null }, certOf(x));
    assert.deepEqual(contacts.list().map((x) => x.address).sort(), [b, c].sort());
  });
});
