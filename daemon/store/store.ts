/**
 * The encrypted record store: LevelDB holding only keyed-hash keys and sealed values (the layout
 * is in ./format.ts and docs/profile.md). It is opened with the profile's data key when the
 * profile is unlocked and closed (its keys wiped) when it is locked.
 *
 * - get/put/del/batch by logical key (namespace, id); every write is acknowledged only after
 *   LevelDB wrote it with `sync: true` (a batch is one synced, atomic write).
 * - iterate(namespace) lists a namespace's records by a range scan over its 16-byte tag. The
 *   order is that of the keyed hashes (i.e. no order): a caller that needs order keeps it in
 *   the records (the journal numbers them and reads them by number).
 * - A value that does not open is ERR_STORE_CORRUPT; a typed read (a Collection with a codec)
 *   that opens but does not decode is ERR_STORE_RECORD_INVALID. Nothing unchecked gets past.
 */
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { StoreError, StoreErrorCode } from './errors.js';
import { XCHACHA_NONCE_BYTES, randomBytes } from '../../protocol/crypto.js';
import {
  STORAGE_KEY_BYTES,
  type StoreKeys,
  deriveStoreKeys,
  namespaceTag,
  openRecord,
  sealRecord,
  storageKeyFromTag,
  wipeStoreKeys,
} from './format.js';

type Db = Level<Uint8Array, Uint8Array>;

/** One write of a batch, by logical key. */
/** Nonces drawn from the system CSPRNG at once for the store's records (4,096 bytes of them). */
export const NONCE_POOL_NONCES = 170;

export type StoreOperation =
  | { readonly type: 'put'; readonly namespace: string; readonly id: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly namespace: string; readonly id: Uint8Array }
  /** A put already sealed by RecordStore.seal() (its storage key and sealed record), written as is. */
  | { readonly type: 'sealed'; readonly namespace: string; readonly id: Uint8Array; readonly key: Uint8Array; readonly record: Uint8Array };

export interface StoredRecord {
  readonly id: Uint8Array;
  readonly value: Uint8Array;
}

/** Encodes and validates one record type. decode throws (anything) on bytes that are not a T. */
export interface RecordCodec<T> {
  /** What the records are, for error messages ("journal entry"). */
  readonly what: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface RecordStoreInit {
  /** LevelDB block cache in bytes (default 8 MiB). */
  readonly cacheSize?: number;
}

const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024;

function levelCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.cause?.code ?? e?.code;
}

function ioError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = levelCode(err);
  if (code === 'LEVEL_DATABASE_NOT_OPEN') return new StoreError(StoreErrorCode.CLOSED, `the store is closed (${what})`, { cause: err });
  return new StoreError(StoreErrorCode.IO, `the store failed to ${what}`, { cause: err });
}

export class RecordStore {
  readonly path: string;
  #db: Db;
  #keys: StoreKeys;
  #closed = false;
  #inFlight = new Set<Promise<unknown>>();
  readonly #iterators = new Set<ReturnType<Db['iterator']>>();
  readonly #tags = new Map<string, Uint8Array>();

  private constructor(path: string, db: Db, keys: StoreKeys) {
    this.path = path;
    this.#db = db;
    this.#keys = keys;
  }

  /**
   * Opens (creating) the store at `path` under `dataKey`. The store derives its own keys and
   * does not keep `dataKey`; the caller still owns (and wipes) it.
   */
  static async open(path: string, dataKey: Uint8Array, init: RecordStoreInit = {}): Promise<RecordStore> {
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StoreError(StoreErrorCode.IO, 'cannot create the store directory', { cause: err });
    }
    const db: Db = new Level<Uint8Array, Uint8Array>(path, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      compression: false, // sealed values do not compress
      cacheSize: init.cacheSize ?? DEFAULT_CACHE_BYTES,
    });
    try {
      await db.open();
    } catch (err) {
      if (levelCode(err) === 'LEVEL_LOCKED') throw new StoreError(StoreErrorCode.BUSY, 'another process has the store open', { cause: err });
      throw new StoreError(StoreErrorCode.IO, 'cannot open the store', { cause: err });
    }
    return new RecordStore(path, db, deriveStoreKeys(dataKey));
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new StoreError(StoreErrorCode.CLOSED, 'the store is closed');
  }

  #tag(namespace: string): Uint8Array {
    let tag = this.#tags.get(namespace);
    if (tag === undefined) {
      tag = namespaceTag(this.#keys, namespace);
      this.#tags.set(namespace, tag);
    }
    return tag;
  }

  #key(namespace: string, id: Uint8Array): Uint8Array {
    this.#check(); // never hash with keys close() has wiped
    return storageKeyFromTag(this.#keys, this.#tag(namespace), id);
  }

  /** Runs `op` as an in-flight operation that close() waits for. */
  async #track<T>(op: () => Promise<T>): Promise<T> {
    this.#check();
    const p = op();
    this.#inFlight.add(p);
    try {
      return await p;
    } finally {
      this.#inFlight.delete(p);
    }
  }

  async get(namespace: string, id: Uint8Array): Promise<Uint8Array | undefined> {
    const key = this.#key(namespace, id);
    // opened inside the tracked operation, so close() cannot wipe the keys in between
    return this.#track(async () => {
      let sealed: Uint8Array | undefined;
      try {
        sealed = await this.#db.get(key);
      } catch (err) {
        throw ioError('read', err);
      }
      return sealed === undefined ? undefined : openRecord(this.#keys, key, sealed).value;
    });
  }

  /** Several records of one namespace in one read (undefined for each one missing). */
  async getMany(namespace: string, ids: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const keys = ids.map((id) => this.#key(namespace, id));
    return this.#track(async () => {
      let sealed: (Uint8Array | undefined)[];
      try {
        sealed = await this.#db.getMany(keys);
      } catch (err) {
        throw ioError('read', err);
      }
      return sealed.map((v, i) => (v === undefined ? undefined : openRecord(this.#keys, keys[i]!, v).value));
    });
  }

  /** Writes one record; resolves once it is on disk (sync). */
  async put(namespace: string, id: Uint8Array, value: Uint8Array): Promise<void> {
    await this.batch([{ type: 'put', namespace, id, value }]);
  }

  /** Deletes one record; resolves once the deletion is on disk (sync). */
  async del(namespace: string, id: Uint8Array): Promise<void> {
    await this.batch([{ type: 'del', namespace, id }]);
  }

  /**
   * The puts of `ops` sealed now (their storage keys and records computed), for a later batch():
   * a caller can take the CPU of sealing out of the moment it writes. The same records batch()
   * would seal itself (same format, a fresh nonce each).
   */
  seal(ops: readonly StoreOperation[]): StoreOperation[] {
    this.#check();
    const nonces = this.#nonces(ops);
    let k = 0;
    return ops.map((op) => {
      if (op.type !== 'put') return op;
      const key = this.#key(op.namespace, op.id);
      return { type: 'sealed', namespace: op.namespace, id: op.id, key, record: sealRecord(this.#keys, key, op.id, op.value, nonces.subarray(k++ * XCHACHA_NONCE_BYTES, k * XCHACHA_NONCE_BYTES)) };
    });
  }

  /**
   * Fresh nonces for every put of `ops`. They are cut from a pool of NONCE_POOL_NONCES drawn in
   * one call to the system CSPRNG (a call costs ~4-8 µs whatever its length: one or two per
   * received message, when drawn per batch); each part of a pool is handed out once, and a
   * used-up pool is replaced by a new buffer, never refilled in place. Nonces are not secret
   * (each record carries its own in the clear); they must only never repeat under one key.
   */
  #nonces(ops: readonly StoreOperation[]): Uint8Array {
    let puts = 0;
    for (const op of ops) if (op.type === 'put') puts++;
    const bytes = puts * XCHACHA_NONCE_BYTES;
    if (bytes > NONCE_POOL_NONCES * XCHACHA_NONCE_BYTES) return randomBytes(bytes);
    if (this.#noncePool.length - this.#nonceAt < bytes) {
      this.#noncePool = randomBytes(NONCE_POOL_NONCES * XCHACHA_NONCE_BYTES);
      this.#nonceAt = 0;
    }
    const out = this.#noncePool.subarray(this.#nonceAt, this.#nonceAt + bytes);
    this.#nonceAt += bytes;
    return out;
  }

  #noncePool: Uint8Array = new Uint8Array(0);
  #nonceAt = 0;

  /** Writes all of `ops` atomically in one synced LevelDB batch. */
  async batch(ops: readonly StoreOperation[]): Promise<void> {
    this.#check();
    const nonces = this.#nonces(ops);
    let k = 0;
    const level = ops.map((op) => {
      if (op.type === 'sealed') return { type: 'put' as const, key: op.key, value: op.record };
      const key = this.#key(op.namespace, op.id);
      return op.type === 'put'
        ? { type: 'put' as const, key, value: sealRecord(this.#keys, key, op.id, op.value, nonces.subarray(k++ * XCHACHA_NONCE_BYTES, k * XCHACHA_NONCE_BYTES)) }
        : { type: 'del' as const, key };
    });
    if (level.length === 0) return;
    await this.#track(async () => {
      try {
        await this.#db.batch(level, { sync: true });
      } catch (err) {
        throw ioError('write', err);
      }
    });
  }

  /**
   * Every record of `namespace`, in no particular order (the order of the keyed hashes), read
   * from a snapshot taken when the iteration starts. Each value is opened and checked. close()
   * ends iterations still open (their next step is ERR_STORE_CLOSED) instead of waiting for them.
   */
  async *iterate(namespace: string): AsyncGenerator<StoredRecord> {
    this.#check();
    const tag = this.#tag(namespace);
    const gte = new Uint8Array(STORAGE_KEY_BYTES);
    gte.set(tag, 0);
    const lte = new Uint8Array(STORAGE_KEY_BYTES).fill(0xff);
    lte.set(tag, 0);
    const it = this.#db.iterator({ gte, lte });
    this.#iterators.add(it);
    try {
      while (true) {
        const record = await this.#track(async () => {
          let entry: [Uint8Array, Uint8Array] | undefined;
          try {
            entry = await it.next();
          } catch (err) {
            throw this.#closed ? new StoreError(StoreErrorCode.CLOSED, 'the store was closed during an iteration', { cause: err }) : ioError('read', err);
          }
          if (entry === undefined) return undefined;
          const [key, sealed] = entry;
          if (key.length !== STORAGE_KEY_BYTES) throw new StoreError(StoreErrorCode.CORRUPT, 'a storage key of the wrong length');
          return openRecord(this.#keys, key, sealed);
        });
        if (record === undefined) return;
        yield record;
      }
    } finally {
      this.#iterators.delete(it);
      await it.close().catch(() => undefined);
    }
  }

  /** A typed view of one namespace: values pass through `codec`, checked on every read. */
  collection<T>(namespace: string, codec: RecordCodec<T>): Collection<T> {
    this.#tag(namespace); // validates the namespace now
    return new Collection(this, namespace, codec);
  }

  /**
   * Closes LevelDB after the operations in flight, and wipes the store's keys. Idempotent.
   * Operations started afterwards fail with ERR_STORE_CLOSED.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await Promise.allSettled([...this.#iterators].map((it) => it.close()));
    try {
      await this.#db.close();
    } finally {
      wipeStoreKeys(this.#keys);
      for (const tag of this.#tags.values()) tag.fill(0);
      this.#tags.clear();
    }
  }
}

/** Decodes with `codec`, turning anything it throws into ERR_STORE_RECORD_INVALID. */
export function decodeWith<T>(codec: RecordCodec<T>, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw new StoreError(StoreErrorCode.RECORD_INVALID, `a stored ${codec.what} does not decode`, { cause: err });
  }
}

/** One namespace of a RecordStore with typed values. */
export class Collection<T> {
  constructor(
    readonly store: RecordStore,
    readonly namespace: string,
    readonly codec: RecordCodec<T>,
  ) {}

  async get(id: Uint8Array): Promise<T | undefined> {
    const bytes = await this.store.get(this.namespace, id);
    return bytes === undefined ? undefined : decodeWith(this.codec, bytes);
  }

  async getMany(ids: readonly Uint8Array[]): Promise<(T | undefined)[]> {
    const values = await this.store.getMany(this.namespace, ids);
    return values.map((v) => (v === undefined ? undefined : decodeWith(this.codec, v)));
  }

  put(id: Uint8Array, value: T): Promise<void> {
    return this.store.put(this.namespace, id, this.codec.encode(value));
  }

  del(id: Uint8Array): Promise<void> {
    return this.store.del(this.namespace, id);
  }

  /** The batch operation that writes `value` as `id` (for RecordStore.batch). */
  putOp(id: Uint8Array, value: T): StoreOperation {
    return { type: 'put', namespace: this.namespace, id, value: this.codec.encode(value) };
  }

  delOp(id: Uint8Array): StoreOperation {
    return { type: 'del', namespace: this.namespace, id };
  }

  async *iterate(): AsyncGenerator<{ id: Uint8Array; value: T }> {
    for await (const r of this.store.iterate(this.namespace)) yield { id: r.id, value: decodeWith(this.codec, r.value) };
  }
}

