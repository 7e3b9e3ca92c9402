/**
 * 1:1 messages: each accepted contact's conversation is a two-member log of protocol v2's
 * direct entries (protocol/direct.ts: chained per author, MAC'd with a key both sides derive,
 * so deniable), kept in the profile's store:
 *
 *   namespace "direct-entries", id = entry id [32]:
 *     version u8 (0x01) | peer identity key [32] | own u8 (1 ours, 0 theirs) |
 *     status u8 (0 received, 1 outbox, 2 sent, 3 delivered) | order u64 (local) | entry: u32 len + bytes
 *   namespace "direct-state", id = peer identity key:
 *     version u8 (0x01) | our seq u64 | our last id [32] | their seq u64 | their last id [32] | next order u64
 *
 * Sending: the entry is made and MAC'd, written (synced, with the state) as `outbox`, and only
 * then does message/send answer; it goes out over the contact's link (`sent`), now or when the
 * link comes up, and again on each new link and every RESEND_INTERVAL_MS until the contact
 * acknowledges it (`delivered`). Receiving: a DIRECT_ENTRY from an accepted contact whose MAC
 * holds, by that contact, next in its chain (seq one more, prev its last), is written (synced)
 * and then acknowledged; one already held is acknowledged again and not stored twice, so each
 * message shows once whatever is resent. Anything else is dropped quietly (debug log).
 */
import debugFactory from 'debug';
import { ByteReader, ByteWriter, bytesEqual, fromHex, toHex } from '../../protocol/bytes.js';
import type { Certificate } from '../../protocol/certificate.js';
import { MessageFold, type MessageItem } from '../../protocol/message-view.js';
import { type DirectContent, type DirectEntry, consumeDirectEntry, createDirectEntry, deriveDirectKeys, directEntryId, encodeDirectEntry, decodeDirectEntry } from '../../protocol/direct.js';
import { type OnionAddress, publicKeyFromOnionAddress, onionAddressFromPublicKey } from '../../protocol/identity.js';
import type { X25519KeyPair } from '../../protocol/crypto.js';
import type { NotificationJournal } from '../api/journal.js';
import type { Log } from '../log.js';
import type { Collection, RecordStore } from '../store/store.js';
import type { RecordCodec } from '../store/store.js';

const debug = debugFactory('snug:daemon:peer-links');

export const DIRECT_ENTRIES_NAMESPACE = 'direct-entries';
export const DIRECT_STATE_NAMESPACE = 'direct-state';
/** Unacknowledged messages are sent again this often while the link is up (ms). */
export const RESEND_INTERVAL_MS = 5_000;

export type MessageStatus = 'received' | 'outbox' | 'sent' | 'delivered';
const STATUS_CODES: Readonly<Record<MessageStatus, number>> = { received: 0, outbox: 1, sent: 2, delivered: 3 };
const STATUSES = new Map(Object.entries(STATUS_CODES).map(([k, v]) => [v, k as MessageStatus]));

interface StoredEntry {
  readonly peer: OnionAddress;
  readonly own: boolean;
  readonly status: MessageStatus;
  readonly order: number;
  readonly bytes: Uint8Array;
}

interface ConversationState {
  readonly ourSeq: number;
  readonly ourLast: Uint8Array;
  readonly theirSeq: number;
  readonly theirLast: Uint8Array;
  readonly nextOrder: number;
}

const ZERO = new Uint8Array(32);
const EMPTY_STATE: ConversationState = { ourSeq: 0, ourLast: ZERO, theirSeq: 0, theirLast: ZERO, nextOrder: 1 };

const entryCodec: RecordCodec<StoredEntry> = {
  what: 'direct entry record',
  encode: (e) =>
    new ByteWriter(64 + e.bytes.length)
      .u8(1)
      .fixed(publicKeyFromOnionAddress(e.peer), 32)
      .u8(e.own ? 1 : 0)
      .u8(STATUS_CODES[e.status])
      .u64(e.order)
      .bytes32(e.bytes, 1 << 20)
      .finish(),
  decode: (b) => {
    const r = new ByteReader(b);
    if (r.u8('version') !== 1) throw new TypeError('direct entry record version');
    const peer = onionAddressFromPublicKey(r.fixed(32, 'peer'));
    const own = r.u8('own');
    const status = STATUSES.get(r.u8('status'));
    const order = r.u64('order');
    const bytes = r.bytes32(1 << 20, 'entry');
    r.end('direct entry record');
    if ((own !== 0 && own !== 1) || status === undefined || (own === 1) === (status === 'received')) throw new TypeError('direct entry record fields');
    decodeDirectEntry(bytes);
    return { peer, own: own === 1, status, order, bytes };
  },
};

const stateCodec: RecordCodec<ConversationState> = {
  what: 'direct conversation state',
  encode: (s) => new ByteWriter(96).u8(1).u64(s.ourSeq).fixed(s.ourLast, 32).u64(s.theirSeq).fixed(s.theirLast, 32).u64(s.nextOrder).finish(),
  decode: (b) => {
    const r = new ByteReader(b);
    if (r.u8('version') !== 1) throw new TypeError('direct state version');
    const s = { ourSeq: r.u64('our seq'), ourLast: r.fixed(32, 'our last'), theirSeq: r.u64('their seq'), theirLast: r.fixed(32, 'their last'), nextOrder: r.u64('next order') };
    r.end('direct state');
    return s;
  },
};

export interface MessageView {
  readonly id: string;
  readonly kind: 'message';
  readonly author: OnionAddress;
  readonly ts: number;
  readonly text: string;
  readonly status: MessageStatus;
  // the message view (protocol/message-view.ts; membership, issue 14)
  readonly replyTo?: string;
  readonly edited?: boolean;
  readonly deleted?: boolean;
  readonly reactions?: Array<{ reaction: string; count: number; mine: boolean }>;
}

export interface ConversationsInit {
  readonly store: RecordStore;
  readonly own: { readonly address: OnionAddress; readonly dh: X25519KeyPair };
  readonly journal: NotificationJournal;
  readonly log: Log;
  readonly now?: () => number;
}

/** One conversation as the in-memory index holds it: its ids in local order, and ours not yet delivered. */
interface ConversationIndex {
  readonly ids: Uint8Array[];
  /** Our entries not yet acknowledged, by hex id: the local order (to send them oldest first). */
  readonly pending: Map<string, { readonly id: Uint8Array; readonly order: number }>;
}

/** What the conversations need to send: a frame to a contact's link, if it is up. */
export type SendEntry = (address: OnionAddress, entry: Uint8Array) => boolean;

export class Conversations {
  readonly #entries: Collection<StoredEntry>;
  readonly #states: Collection<ConversationState>;
  readonly #own: ConversationsInit['own'];
  readonly #ownKey: Uint8Array;
  readonly #journal: NotificationJournal;
  readonly #log: Log;
  readonly #now: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Per peer, the ids of its conversation in local order and our unacknowledged ones: built by
   * one scan of the namespace on first use and kept up to date by every write, so sending,
   * flushing and listing cost the conversation's size (or the outbox's), not the whole store's.
   */
  #index: Promise<Map<OnionAddress, ConversationIndex>> | null = null;

  constructor(init: ConversationsInit) {
    this.#entries = init.store.collection(DIRECT_ENTRIES_NAMESPACE, entryCodec);
    this.#states = init.store.collection(DIRECT_STATE_NAMESPACE, stateCodec);
    this.#own = init.own;
    this.#ownKey = publicKeyFromOnionAddress(init.own.address);
    this.#journal = init.journal;
    this.#log = init.log;
    this.#now = init.now ?? Date.now;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async idle(): Promise<void> {
    await this.#queue;
  }

  #keys(cert: Certificate) {
    return deriveDirectKeys({ identityKey: this.#ownKey, dh: this.#own.dh }, { identityKey: cert.identityKey, dhKey: cert.dhKey });
  }

  #conversations(): Promise<Map<OnionAddress, ConversationIndex>> {
    this.#index ??= (async () => {
      const byPeer = new Map<OnionAddress, Array<{ id: Uint8Array; order: number; pending: boolean }>>();
      for await (const { id, value } of this.#entries.iterate()) {
        let list = byPeer.get(value.peer);
        if (list === undefined) byPeer.set(value.peer, (list = []));
        list.push({ id, order: value.order, pending: value.own && value.status !== 'delivered' });
      }
      const index = new Map<OnionAddress, ConversationIndex>();
      for (const [peer, list] of byPeer) {
        list.sort((a, b) => a.order - b.order);
        const c = this.#emptyIndex();
        for (const e of list) {
          c.ids.push(e.id);
          if (e.pending) c.pending.set(toHex(e.id), { id: e.id, order: e.order });
        }
        index.set(peer, c);
      }
      return index;
    })();
    this.#index.catch(() => (this.#index = null)); // a failed scan is tried again on next use
    return this.#index;
  }

  #emptyIndex(): ConversationIndex {
    return { ids: [], pending: new Map() };
  }

  async #conversation(peer: OnionAddress): Promise<ConversationIndex> {
    const index = await this.#conversations();
    let c = index.get(peer);
    if (c === undefined) index.set(peer, (c = this.#emptyIndex()));
    return c;
  }

  async #state(peer: OnionAddress): Promise<ConversationState> {
    return (await this.#states.get(publicKeyFromOnionAddress(peer))) ?? EMPTY_STATE;
  }

  #view(e: StoredEntry, entry: DirectEntry = decodeDirectEntry(e.bytes)): MessageView {
    const text = entry.content.kind === 'text' ? entry.content.text : '';
    return { id: toHex(directEntryId(e.bytes)), kind: 'message', author: e.own ? this.#own.address : e.peer, ts: entry.timestamp, text, status: e.status };
  }

  /** The view of a text or reply with its edits, delete and reactions applied. */
  #withView(v: MessageView, item: MessageItem | null): MessageView {
    if (item === null) return v;
    return {
      ...v,
      text: item.text ?? '',
      ...(item.replyTo !== null ? { replyTo: item.replyTo } : {}),
      ...(item.edited ? { edited: true } : {}),
      ...(item.deleted ? { deleted: true } : {}),
      ...(item.reactions.length > 0 ? { reactions: item.reactions.map((r) => ({ reaction: r.reaction, count: r.count, mine: r.mine })) } : {}),
    };
  }

  /** Makes, MACs and durably stores a message to `peer` (its certificate from a handshake); its id. */
  send(peer: OnionAddress, cert: Certificate, text: string): Promise<string> {
    return this.sendContent(peer, cert, { kind: 'text', text });
  }

  /** The author (identity key) and kind of the entry `id` with `peer`, or null (membership). */
  async entryInfo(peer: OnionAddress, id: string): Promise<{ author: Uint8Array; kind: DirectContent['kind'] } | null> {
    const e = await this.#entries.get(fromHex(id));
    if (e === undefined || e.peer !== peer) return null;
    const entry = decodeDirectEntry(e.bytes);
    return { author: entry.author, kind: entry.content.kind };
  }

  /** Like send, for any 1:1 content kind (reply, reaction, edit, delete: membership). */
  sendContent(peer: OnionAddress, cert: Certificate, content: DirectContent): Promise<string> {
    return this.#serial(async () => {
      const conversation = await this.#conversation(peer);
      const state = await this.#state(peer);
      const entry = createDirectEntry(this.#keys(cert), this.#ownKey, {
        seq: state.ourSeq + 1,
        ...(state.ourSeq > 0 ? { prev: state.ourLast } : {}),
        timestamp: this.#now(),
        heads: state.theirSeq > 0 ? [state.theirLast] : [],
        content,
      });
      const bytes = encodeDirectEntry(entry);
      const id = directEntryId(bytes);
      const stored: StoredEntry = { peer, own: true, status: 'outbox', order: state.nextOrder, bytes };
      await this.#entries.store.batch([
        this.#entries.putOp(id, stored),
        this.#states.putOp(publicKeyFromOnionAddress(peer), { ...state, ourSeq: entry.seq, ourLast: id, nextOrder: state.nextOrder + 1 }),
      ]);
      conversation.ids.push(id);
      conversation.pending.set(toHex(id), { id, order: stored.order });
      return toHex(id);
    });
  }

  /** Every message with `peer`, in the order they were written or arrived here. */
  async list(peer: OnionAddress): Promise<MessageView[]> {
    const all: Array<{ order: number; stored: StoredEntry; entry: DirectEntry; id: string }> = [];
    const fold = new MessageFold();
    const ids = [...(await this.#conversation(peer)).ids];
    for (const value of await this.#entries.getMany(ids)) {
      if (value === undefined || value.peer !== peer) continue;
      const entry = decodeDirectEntry(value.bytes);
      const id = toHex(directEntryId(value.bytes));
      all.push({ order: value.order, stored: value, entry, id });
      fold.add({ id, author: toHex(entry.author), seq: entry.seq, timestamp: entry.timestamp, content: entry.content });
    }
    // texts and replies are the messages; reactions, edits and deletes show on them
    const me = toHex(this.#ownKey);
    return all
      .sort((a, b) => a.order - b.order)
      .filter((x) => fold.isMessage(x.id))
      .map((x) => this.#withView(this.#view(x.stored, x.entry), fold.item(x.id, { me })));
  }

  /** Our messages to `peer` not yet acknowledged, oldest first (to send or send again). */
  async unacknowledged(peer: OnionAddress): Promise<Array<{ id: Uint8Array; bytes: Uint8Array; status: MessageStatus }>> {
    const pending = [...(await this.#conversation(peer)).pending.values()].sort((a, b) => a.order - b.order);
    const values = await this.#entries.getMany(pending.map((p) => p.id));
    const out: Array<{ id: Uint8Array; bytes: Uint8Array; status: MessageStatus }> = [];
    pending.forEach((p, i) => {
      const value = values[i];
      if (value !== undefined && value.peer === peer && value.own && value.status !== 'delivered') out.push({ id: p.id, bytes: value.bytes, status: value.status });
    });
    return out;
  }

  /** Sends every unacknowledged message to `peer` over `send`; those that went out are `sent`. */
  async flush(peer: OnionAddress, send: SendEntry): Promise<void> {
    for (const m of await this.unacknowledged(peer)) {
      if (!send(peer, m.bytes)) return;
      if (m.status === 'outbox') await this.#setStatus(peer, m.id, 'sent');
    }
  }

  async #setStatus(peer: OnionAddress, id: Uint8Array, status: 'sent' | 'delivered'): Promise<void> {
    await this.#serial(async () => {
      const e = await this.#entries.get(id);
      if (e === undefined || e.peer !== peer || !e.own || e.status === status || e.status === 'delivered') return;
      await this.#entries.put(id, { ...e, status });
      if (status === 'delivered') (await this.#conversation(peer)).pending.delete(toHex(id));
      this.#journal
        .append('message/didChange', { address: peer, id: toHex(id), status })
        .catch((err: unknown) => this.#log('journal-append-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
    });
  }

  /** The peer acknowledged one of our entries. */
  acknowledged(peer: OnionAddress, id: Uint8Array): Promise<void> {
    return this.#setStatus(peer, id, 'delivered');
  }

  /**
   * A DIRECT_ENTRY from `peer` (accepted; `cert` its certificate from this link's handshake):
   * the id to acknowledge once it is durable here, or null to drop it.
   */
  received(peer: OnionAddress, cert: Certificate, bytes: Uint8Array): Promise<{ readonly id: Uint8Array; readonly fresh: boolean; readonly message?: boolean } | null> {
    return this.#serial(async () => {
      const conversation = await this.#conversation(peer);
      let entry: DirectEntry;
      try {
        entry = consumeDirectEntry(this.#keys(cert), bytes);
      } catch (err) {
        debug('a direct entry that does not verify (%s)', (err as { code?: string }).code ?? 'error');
        return null;
      }
      if (!bytesEqual(entry.author, cert.identityKey)) return null;
      const id = directEntryId(bytes);
      if ((await this.#entries.get(id)) !== undefined) return { id, fresh: false }; // held already: acknowledge again
      const state = await this.#state(peer);
      const inChain = entry.seq === state.theirSeq + 1 && bytesEqual(entry.prev, state.theirSeq === 0 ? ZERO : state.theirLast);
      if (!inChain) {
        debug('a direct entry out of its chain (seq %d after %d)', entry.seq, state.theirSeq);
        return null;
      }
      const stored: StoredEntry = { peer, own: false, status: 'received', order: state.nextOrder, bytes };
      await this.#entries.store.batch([
        this.#entries.putOp(id, stored),
        this.#states.putOp(publicKeyFromOnionAddress(peer), { ...state, theirSeq: entry.seq, theirLast: id, nextOrder: state.nextOrder + 1 }),
      ]);
      conversation.ids.push(id);
      const c = entry.content;
      if (c.kind === 'text' || c.kind === 'reply') {
        this.#journal
          .append('message/didReceive', { address: peer, message: this.#view(stored, entry) })
          .catch((err: unknown) => this.#log('journal-append-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
      } else {
        // a reaction, edit or delete: the target's view changed
        const target = toHex(c.target);
        queueMicrotask(() => {
          void this.list(peer)
            .then((items) => {
              const item = items.find((m) => m.id === target);
              if (item !== undefined) return this.#journal.append('message/didUpdate', { address: peer, message: item });
              return undefined;
            })
            .catch((err: unknown) => this.#log('journal-append-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
        });
      }
      return { id, fresh: true, message: c.kind === 'text' || c.kind === 'reply' };
    });
  }
}

export function entryIdFromHex(hex: string): Uint8Array {
  return fromHex(hex);
}
