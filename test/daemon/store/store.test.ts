import assert from 'node:assert/strict';
import { Level } from 'level';
import { utf8Decode, utf8Encode } from '../../../protocol/bytes.js';
import { randomBytes, ready, XCHACHA_NONCE_BYTES } from '../../../protocol/crypto.js';
import { isStoreError, StoreErrorCode } from '../../../daemon/store/errors.js';
import { STORAGE_KEY_BYTES, deriveStoreKeys, storageKey } from '../../../daemon/store/format.js';
import { NONCE_POOL_NONCES, type RecordCodec, RecordStore, type StoreOperation } from '../../../daemon/store/store.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => isStoreError(err) && err.code === code);
}

async function rawEntries(path: string): Promise<[Uint8Array, Uint8Array][]> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await db.iterator().all();
  } finally {
    await db.close();
  }
}

async function withRawDb<T>(path: string, fn: (db: Level<Uint8Array, Uint8Array>) => Promise<T>): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const textCodec: RecordCodec<string> = {
  what: 'text',
  encode: (s) => utf8Encode(s),
  decode: (b) => {
    const s = utf8Decode(b);
    if (!s.startsWith('t:')) throw new Error('not a text record');
    return s;
  },
};

describe('the encrypted record store', () => {
  let dir: string | undefined;
  let store: RecordStore | undefined;
  let dataKey: Uint8Array;

  before(ready);
  beforeEach(async () => {
    dir = await makeTempDir('store');
    dataKey = randomBytes(32);
    store = await RecordStore.open(dir, dataKey);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await removeDir(dir);
  });

  it('reads back what it wrote, and nothing for an id never written', async () => {
    await store!.put('contacts', utf8Encode('alice'), utf8Encode('hello'));
    assert.deepEqual(await store!.get('contacts', utf8Encode('alice')), utf8Encode('hello'));
    assert.equal(await store!.get('contacts', utf8Encode('bob')), undefined);
    assert.equal(await store!.get('groups', utf8Encode('alice')), undefined, 'the same id in another namespace is another record');
  });

  it('keeps records across a close and a reopen with the same data key', async () => {
    await store!.put('a', Uint8Array.of(1), Uint8Array.of(9, 9));
    await store!.close();
    store = await RecordStore.open(dir!, dataKey);
    assert.deepEqual(await store.get('a', Uint8Array.of(1)), Uint8Array.of(9, 9));
  });

  it('deletes a record, and a batch writes and deletes together', async () => {
    await store!.put('a', Uint8Array.of(1), Uint8Array.of(1));
    await store!.put('a', Uint8Array.of(2), Uint8Array.of(2));
    await store!.del('a', Uint8Array.of(1));
    assert.equal(await store!.get('a', Uint8Array.of(1)), undefined);
    await store!.batch([
      { type: 'del', namespace: 'a', id: Uint8Array.of(2) },
      { type: 'put', namespace: 'b', id: Uint8Array.of(3), value: Uint8Array.of(3) },
    ]);
    assert.equal(await store!.get('a', Uint8Array.of(2)), undefined);
    assert.deepEqual(await store!.get('b', Uint8Array.of(3)), Uint8Array.of(3));
  });

  it('writes puts sealed beforehand (seal) as batch would have, with the other operations, across a reopen', async () => {
    await store!.put('a', Uint8Array.of(7), Uint8Array.of(7));
    const sealed = store!.seal([
      { type: 'put', namespace: 'a', id: Uint8Array.of(1), value: utf8Encode('one') },
      { type: 'del', namespace: 'a', id: Uint8Array.of(7) },
    ]);
    assert.deepEqual(sealed.map((op) => op.type), ['sealed', 'del']);
    assert.equal(await store!.get('a', Uint8Array.of(1)), undefined, 'nothing written before the batch');
    await store!.batch([...sealed, { type: 'put', namespace: 'b', id: Uint8Array.of(2), value: utf8Encode('two') }]);
    await store!.close();
    store = await RecordStore.open(dir!, dataKey);
    assert.deepEqual(await store.get('a', Uint8Array.of(1)), utf8Encode('one'));
    assert.equal(await store.get('a', Uint8Array.of(7)), undefined);
    assert.deepEqual(await store.get('b', Uint8Array.of(2)), utf8Encode('two'));
    const seen: string[] = [];
    for await (const r of store.iterate('a')) seen.push(utf8Decode(r.value));
    assert.deepEqual(seen, ['one']);
  });

  it('seals every record under a nonce of its own, across many batches and seals and past the nonce pool', async () => {
    // more puts than NONCE_POOL_NONCES, in batches of 1..7 and one larger than a pool, sealed both ways
    let n = 0;
    const put = (): StoreOperation => ({ type: 'put', namespace: 'n', id: Uint8Array.of(n >> 8, n++ & 0xff), value: utf8Encode('v') });
    for (let i = 0; n < 3 * NONCE_POOL_NONCES; i++) {
      const ops = Array.from({ length: 1 + (i % 7) }, put);
      if (i % 2 === 0) await store!.batch(ops);
      else await store!.batch(store!.seal(ops));
    }
    await store!.batch(Array.from({ length: NONCE_POOL_NONCES + 1 }, put));
    await store!.close();
    store = undefined;
    const nonces = (await rawEntries(dir!)).map(([, value]) => Buffer.from(value.subarray(1, 1 + XCHACHA_NONCE_BYTES)).toString('hex'));
    assert.equal(nonces.length, n);
    assert.equal(new Set(nonces).size, n, 'no nonce twice');
    store = await RecordStore.open(dir!, dataKey);
    assert.deepEqual(await store.get('n', Uint8Array.of(0, 0)), utf8Encode('v'));
  });

  it('iterates exactly the records of one namespace, with their ids', async () => {
    const want = new Map<string, string>();
    for (let i = 0; i < 50; i++) {
      await store!.put('contacts', utf8Encode(`c${i}`), utf8Encode(`v${i}`));
      want.set(`c${i}`, `v${i}`);
      await store!.put('groups', utf8Encode(`g${i}`), utf8Encode(`w${i}`));
    }
    await store!.put('contacts-x', utf8Encode('other'), utf8Encode('z'));
    const got = new Map<string, string>();
    for await (const r of store!.iterate('contacts')) got.set(utf8Decode(r.id), utf8Decode(r.value));
    assert.deepEqual(got, want);
  });

  it('keeps every key a 48-byte keyed hash and every value sealed', async () => {
    await store!.put('contacts', utf8Encode('alice.onion'), utf8Encode('secret text'));
    await store!.close();
    store = undefined;
    const entries = await rawEntries(dir!);
    assert.equal(entries.length, 1);
    const [key, value] = entries[0]!;
    assert.equal(key.length, STORAGE_KEY_BYTES);
    assert.deepEqual(new Uint8Array(key), storageKey(deriveStoreKeys(dataKey), 'contacts', utf8Encode('alice.onion')));
    assert.ok(!Buffer.from(value).includes(Buffer.from('secret text')));
    assert.ok(!Buffer.from(key).includes(Buffer.from('alice')));
  });

  it('gives unrelated key spaces to two profiles (different data keys)', async () => {
    const keysA = deriveStoreKeys(randomBytes(32));
    const keysB = deriveStoreKeys(randomBytes(32));
    assert.notDeepEqual(storageKey(keysA, 'contacts', Uint8Array.of(1)), storageKey(keysB, 'contacts', Uint8Array.of(1)));
  });

  it('refuses a record moved under another key (ERR_STORE_CORRUPT)', async () => {
    await store!.put('a', Uint8Array.of(1), utf8Encode('one'));
    await store!.put('a', Uint8Array.of(2), utf8Encode('two'));
    await store!.close();
    store = undefined;
    const keys = deriveStoreKeys(dataKey);
    const k1 = storageKey(keys, 'a', Uint8Array.of(1));
    const k2 = storageKey(keys, 'a', Uint8Array.of(2));
    await withRawDb(dir!, async (db) => {
      const v1 = (await db.get(k1))!;
      await db.put(k2, v1);
    });
    store = await RecordStore.open(dir!, dataKey);
    await rejectsWith(store.get('a', Uint8Array.of(2)), StoreErrorCode.CORRUPT);
    assert.deepEqual(await store.get('a', Uint8Array.of(1)), utf8Encode('one'));
  });

  it('refuses a record with a flipped bit, and every record under another data key', async () => {
    await store!.put('a', Uint8Array.of(1), utf8Encode('one'));
    await store!.close();
    store = undefined;
    const k1 = storageKey(deriveStoreKeys(dataKey), 'a', Uint8Array.of(1));
    await withRawDb(dir!, async (db) => {
      const v = (await db.get(k1))!;
      v[v.length - 1]! ^= 1;
      await db.put(k1, v);
    });
    store = await RecordStore.open(dir!, dataKey);
    await rejectsWith(store.get('a', Uint8Array.of(1)), StoreErrorCode.CORRUPT);
    await store.close();
    store = await RecordStore.open(dir!, randomBytes(32));
    assert.equal(await store.get('a', Uint8Array.of(1)), undefined, 'another key names other records');
  });

  it('fails an iteration that meets a tampered record', async () => {
    await store!.put('a', Uint8Array.of(1), utf8Encode('one'));
    await store!.close();
    store = undefined;
    const k1 = storageKey(deriveStoreKeys(dataKey), 'a', Uint8Array.of(1));
    await withRawDb(dir!, async (db) => {
      const v = (await db.get(k1))!;
      v[30]! ^= 0x80;
      await db.put(k1, v);
    });
    store = await RecordStore.open(dir!, dataKey);
    await rejectsWith((async () => { for await (const _ of store!.iterate('a')) { /* drain */ } })(), StoreErrorCode.CORRUPT);
  });

  it('decodes typed records at the edge: a value the codec refuses is ERR_STORE_RECORD_INVALID', async () => {
    const texts = store!.collection('texts', textCodec);
    await texts.put(Uint8Array.of(1), 't:fine');
    assert.equal(await texts.get(Uint8Array.of(1)), 't:fine');
    await store!.put('texts', Uint8Array.of(2), utf8Encode('not one'));
    await rejectsWith(texts.get(Uint8Array.of(2)), StoreErrorCode.RECORD_INVALID);
    await rejectsWith((async () => { for await (const _ of texts.iterate()) { /* drain */ } })(), StoreErrorCode.RECORD_INVALID);
  });

  it('refuses namespaces and ids outside the limits (ERR_STORE_BAD_ARGUMENT)', async () => {
    await rejectsWith(store!.put('', Uint8Array.of(1), Uint8Array.of(1)), StoreErrorCode.BAD_ARGUMENT);
    await rejectsWith(store!.put('Upper', Uint8Array.of(1), Uint8Array.of(1)), StoreErrorCode.BAD_ARGUMENT);
    await rejectsWith(store!.put('a'.repeat(65), Uint8Array.of(1), Uint8Array.of(1)), StoreErrorCode.BAD_ARGUMENT);
    await rejectsWith(store!.put('a', new Uint8Array(1025), Uint8Array.of(1)), StoreErrorCode.BAD_ARGUMENT);
  });

  it('fails operations after close with ERR_STORE_CLOSED, and close waits for writes in flight', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => store!.put('a', Uint8Array.of(i), Uint8Array.of(i)));
    await store!.close();
    await Promise.all(writes);
    await rejectsWith(store!.get('a', Uint8Array.of(1)), StoreErrorCode.CLOSED);
    await rejectsWith(store!.put('a', Uint8Array.of(1), Uint8Array.of(1)), StoreErrorCode.CLOSED);
    store = await RecordStore.open(dir!, dataKey);
    for (let i = 0; i < 20; i++) assert.deepEqual(await store.get('a', Uint8Array.of(i)), Uint8Array.of(i));
  });

  it('closes without waiting for an iteration left open, whose next step is ERR_STORE_CLOSED', async () => {
    for (let i = 0; i < 3; i++) await store!.put('a', Uint8Array.of(i), Uint8Array.of(i));
    const it = store!.iterate('a');
    assert.equal((await it.next()).done, false);
    await store!.close();
    await rejectsWith(it.next(), StoreErrorCode.CLOSED);
  });

  it('is ERR_STORE_BUSY while another handle holds the database', async () => {
    await rejectsWith(RecordStore.open(dir!, dataKey), StoreErrorCode.BUSY);
  });
});
