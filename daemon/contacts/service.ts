/**
 * ContactsService: the profile's contacts (records in its encrypted store, ./record.ts) and the
 * rules of CONTRACT.md "Contacts", for the API (contact/*) and for the link manager (it is the
 * link manager's PeerPolicy). Open while the profile is unlocked: the session opens it after the
 * journal and closes it before the profile locks.
 *
 * States: outgoing (we asked), incoming (they asked; we have not answered), accepted, blocked.
 *   contact/add      none -> outgoing; incoming -> accepted; blocked -> outgoing (asks again);
 *                    outgoing, accepted: the petname (and our message) updated
 *   contact/accept   incoming -> accepted; accepted: unchanged; else ERR_NOT_FOUND
 *   contact/block    anything (or nothing) -> blocked
 *   contact/remove   the record is deleted (ERR_NOT_FOUND when there is none)
 *   from the network a request from a stranger -> incoming (contact/didRequest); from a pending
 *                    requester: its proposed name and message updated; from a blocked address:
 *                    nothing. An accept (or a request while we had asked) -> accepted.
 *
 * Every change is durable (a synced write) before the API answers, and is announced as
 * contact/didChange (contact/didRequest for a new incoming request) through the journal.
 * Changes are applied one at a time.
 */
import { MESSAGE_LIST_DEFAULT, MESSAGE_TEXT_MAX_BYTES, type Contact as ApiContact } from '../../protocol/api/schemas.js';
import { type Certificate, consumeCertificate, encodeCertificate } from '../../protocol/certificate.js';
import type { X25519KeyPair } from '../../protocol/crypto.js';
import type { PeerFrame } from '../../protocol/peer/wire.js';
import { isSyncFrame, type SyncFrame } from '../../protocol/sync/frames.js';
import { fromHex } from '../../protocol/bytes.js';
import { Conversations, RESEND_INTERVAL_MS, type MessageView } from './messages.js';
import type { z } from 'zod';
import { type OnionAddress, onionAddressFromPublicKey, parseOnionAddress } from '../../protocol/identity.js';
import { ApiError } from '../../protocol/api/errors.js';
import type { DirectContent } from '../../protocol/direct.js';
import { isProtocolError, ProtocolErrorCode } from '../../protocol/errors.js';
import type { NotificationJournal } from '../api/journal.js';
import type { Log } from '../log.js';
import type { DialTarget, PeerPolicy, PeerRelation, PeerRequest } from '../peer-links/policy.js';
import type { Collection, RecordStore } from '../store/store.js';
import { CONTACTS_MAX, CONTACTS_NAMESPACE, INCOMING_MAX } from './constants.js';
import { type ContactRecord, type ContactState, contactId, contactRecordCodec } from './record.js';

export type ContactView = z.input<typeof ApiContact>;

/** Where the contacts service hands group frames from accepted contacts (the groups service). */
export interface GroupFrameHandler {
  frameReceived(from: OnionAddress, frame: PeerFrame): Promise<PeerFrame | null>;
  /** A contact's link came up (send it what waits for it). */
  linkUp(address: OnionAddress): void;
}

/** Where the contacts service hands sync frames (0x40..0x7f) and link changes (daemon/group-sync/). */
export interface SyncFrameHandler {
  /** Synchronous, so frames keep their arrival order. */
  frameReceived(from: OnionAddress, frame: SyncFrame): void;
  linkChanged(address: OnionAddress, online: boolean): void;
}

/** What the contacts service needs of the link manager. */
export interface LinkControl {
  isOnline(address: OnionAddress): boolean;
  /** Sends a frame on the contact's link; false when none is up. */
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean;
  /** The dial targets or relations changed: dial, or close links that are no longer wanted. */
  refresh(): void;
}

export interface ContactsComponents {
  readonly log: Log;
}

export interface ContactsInit {
  readonly now?: () => number;
  readonly maxContacts?: number;
  readonly maxIncoming?: number;
}

export interface OpenContacts {
  readonly store: RecordStore;
  /** Our own address (we are never our own contact). */
  readonly address: OnionAddress;
  /** Our profile name: what our requests propose. */
  readonly name: string;
  /** Our profile X25519 keys (the 1:1 conversations' keys are derived from them). */
  readonly dh: X25519KeyPair;
  readonly journal: NotificationJournal;
}

/** The store namespace of the certificates contacts proved in a handshake (id: identity key). */
export const CONTACT_CERTS_NAMESPACE = 'contact-certs';

interface Session {
  readonly collection: Collection<ContactRecord>;
  readonly own: OnionAddress;
  readonly name: string;
  readonly journal: NotificationJournal;
  readonly records: Map<OnionAddress, ContactRecord>;
  readonly store: RecordStore;
  readonly certs: Map<OnionAddress, Certificate>;
  readonly conversations: Conversations;
  readonly resend: NodeJS.Timeout;
}

/** The address of an API param, checked down to its checksum and key: else ERR_BAD_ADDRESS. */
export function checkAddress(address: string): OnionAddress {
  try {
    return parseOnionAddress(address);
  } catch {
    throw new ApiError('ERR_BAD_ADDRESS');
  }
}

export class ContactsService implements PeerPolicy {
  readonly #log: Log;
  readonly #now: () => number;
  readonly #maxContacts: number;
  readonly #maxIncoming: number;
  #session: Session | null = null;
  #links: LinkControl | null = null;
  #groups: GroupFrameHandler | null = null;
  #sync: SyncFrameHandler | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(components: ContactsComponents, init: ContactsInit = {}) {
    this.#log = components.log;
    this.#now = init.now ?? Date.now;
    this.#maxContacts = init.maxContacts ?? CONTACTS_MAX;
    this.#maxIncoming = init.maxIncoming ?? INCOMING_MAX;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.close();
  }

  get isOpen(): boolean {
    return this.#session !== null;
  }

  /** Loads the profile's contacts (on unlock). */
  async open(o: OpenContacts): Promise<void> {
    await this.close();
    const collection = o.store.collection(CONTACTS_NAMESPACE, contactRecordCodec);
    const records = new Map<OnionAddress, ContactRecord>();
    let skipped = 0;
    const it = o.store.iterate(CONTACTS_NAMESPACE);
    for await (const raw of it) {
      try {
        const record = contactRecordCodec.decode(raw.value);
        records.set(record.address, record);
      } catch {
        skipped += 1;
      }
    }
    if (skipped > 0) this.#log('contact-records-skipped', { level: 'warn', count: skipped });
    const certs = new Map<OnionAddress, Certificate>();
    for await (const raw of o.store.iterate(CONTACT_CERTS_NAMESPACE)) {
      try {
        const cert = consumeCertificate(raw.value);
        const address = onionAddressFromPublicKey(cert.identityKey);
        if (records.has(address)) certs.set(address, cert);
      } catch {
        skipped += 1;
      }
    }
    const conversations = new Conversations({ store: o.store, own: { address: o.address, dh: o.dh }, journal: o.journal, log: this.#log });
    const resend = setInterval(() => this.#resendAll(), RESEND_INTERVAL_MS);
    resend.unref();
    this.#session = { collection, own: o.address, name: o.name, journal: o.journal, records, store: o.store, certs, conversations, resend };
    this.#log('contacts-opened', { count: records.size });
  }

  /** Waits for the changes in flight and forgets the contacts (on lock). */
  async close(): Promise<void> {
    await this.#queue;
    const s = this.#session;
    if (s !== null) {
      clearInterval(s.resend);
      await s.conversations.idle();
    }
    this.#session = null;
    this.#links = null;
    this.#groups = null;
    this.#sync = null;
  }

  /** Group sync of this session: sync frames from accepted contacts and their links' changes go to it. */
  attachSync(sync: SyncFrameHandler | null): void {
    this.#sync = sync;
  }

  /** The groups service of this session: group frames from accepted contacts go to it. */
  attachGroups(groups: GroupFrameHandler | null): void {
    this.#groups = groups;
  }

  /** An accepted contact's petname, or null (groups show members by it). */
  petname(address: OnionAddress): string | null {
    return this.#session?.records.get(address)?.petname ?? null;
  }

  isAccepted(address: OnionAddress): boolean {
    return this.#session?.records.get(address)?.state === 'accepted';
  }

  /** The addresses of blocked contacts (groups show their entries as hidden by me). */
  blocked(): ReadonlySet<OnionAddress> {
    const out = new Set<OnionAddress>();
    for (const [address, r] of this.#session?.records ?? []) if (r.state === 'blocked') out.add(address);
    return out;
  }

  /** True while an accepted contact's link is up. */
  isOnline(address: OnionAddress): boolean {
    return this.isAccepted(address) && (this.#links?.isOnline(address) ?? false);
  }

  /** Sends a frame on an accepted contact's link; false when none is up. */
  sendFrame(address: OnionAddress, frame: PeerFrame): boolean {
    if (!this.isOnline(address)) return false;
    return this.#links?.sendFrame(address, frame) ?? false;
  }

  /** The link manager of this session (set after open, cleared by close). */
  attachLinks(links: LinkControl | null): void {
    this.#links = links;
  }

  #require(): Session {
    if (this.#session === null) throw new ApiError('ERR_LOCKED');
    return this.#session;
  }

  #serial<T>(op: (s: Session) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => op(this.#require()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  view(r: ContactRecord): ContactView {
    return {
      address: r.address,
      name: r.petname,
      state: r.state,
      online: r.state === 'accepted' && (this.#links?.isOnline(r.address) ?? false),
      unread: r.unread,
      proposedName: r.proposedName,
      message: r.message,
      lastSeen: r.lastSeen,
    };
  }

  #notify(s: Session, method: 'contact/didChange' | 'contact/didRequest', address: OnionAddress): void {
    const r = s.records.get(address);
    const append =
      method === 'contact/didRequest'
        ? s.journal.append('contact/didRequest', { address, proposedName: r?.proposedName ?? null, message: r?.message ?? null })
        : s.journal.append('contact/didChange', { address, contact: r === undefined ? null : this.view(r) });
    append.catch((err: unknown) => this.#log('journal-append-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
  }

  async #put(s: Session, next: ContactRecord, notify: 'contact/didChange' | 'contact/didRequest' | null = 'contact/didChange'): Promise<ContactRecord> {
    await s.collection.put(contactId(next.address), next);
    s.records.set(next.address, next);
    if (notify !== null) this.#notify(s, notify, next.address);
    return next;
  }

  #fresh(address: OnionAddress, state: ContactState, fields: Partial<ContactRecord> = {}): ContactRecord {
    const now = this.#now();
    return { address, state, delivered: false, created: now, updated: now, lastSeen: null, unread: 0, petname: null, proposedName: null, message: null, ...fields };
  }

  #notSelf(s: Session, address: OnionAddress): void {
    if (address === s.own) throw new ApiError('ERR_BAD_ADDRESS', 'that is this profile\'s own address');
  }

  #changed(): void {
    this.#links?.refresh();
  }

  // --- the API ---

  list(): ContactView[] {
    const s = this.#require();
    return [...s.records.values()].sort((a, b) => a.created - b.created || (a.address < b.address ? -1 : 1)).map((r) => this.view(r));
  }

  add(address: OnionAddress, name?: string, message?: string): Promise<ContactView> {
    return this.#serial(async (s) => {
      this.#notSelf(s, address);
      const old = s.records.get(address);
      const petname = name ?? old?.petname ?? null;
      const now = this.#now();
      let next: ContactRecord;
      if (old === undefined) {
        if (s.records.size >= this.#maxContacts) throw new ApiError('ERR_TOO_LONG', 'too many contacts');
        next = this.#fresh(address, 'outgoing', { petname, message: message ?? null });
      } else if (old.state === 'incoming') {
        next = { ...old, state: 'accepted', petname, updated: now };
      } else if (old.state === 'blocked') {
        next = { ...old, state: 'outgoing', delivered: false, petname, message: message ?? null, proposedName: null, updated: now };
      } else if (old.state === 'outgoing') {
        next = { ...old, petname, ...(message !== undefined ? { message, delivered: false } : {}), updated: now };
      } else {
        next = { ...old, petname, updated: now };
      }
      await this.#put(s, next);
      this.#changed();
      return this.view(next);
    });
  }

  accept(address: OnionAddress): Promise<ContactView> {
    return this.#serial(async (s) => {
      const old = s.records.get(address);
      if (old === undefined || (old.state !== 'incoming' && old.state !== 'accepted')) throw new ApiError('ERR_NOT_FOUND', 'no request from that address');
      if (old.state === 'accepted') return this.view(old);
      const next = await this.#put(s, { ...old, state: 'accepted', updated: this.#now() });
      this.#changed();
      return this.view(next);
    });
  }

  block(address: OnionAddress): Promise<ContactView> {
    return this.#serial(async (s) => {
      this.#notSelf(s, address);
      const old = s.records.get(address);
      if (old?.state === 'blocked') return this.view(old);
      const next = old === undefined ? this.#fresh(address, 'blocked') : { ...old, state: 'blocked' as const, message: null, proposedName: null, updated: this.#now() };
      await this.#put(s, next);
      this.#changed();
      return this.view(next);
    });
  }

  remove(address: OnionAddress): Promise<void> {
    return this.#serial(async (s) => {
      if (!s.records.has(address)) throw new ApiError('ERR_NOT_FOUND', 'no such contact');
      await s.collection.del(contactId(address));
      s.records.delete(address);
      this.#notify(s, 'contact/didChange', address);
      this.#changed();
    });
  }

  // --- PeerPolicy (the link manager) ---

  relation(address: OnionAddress): PeerRelation {
    const r = this.#session?.records.get(address);
    return r === undefined ? 'stranger' : r.state;
  }

  dialTargets(): readonly DialTarget[] {
    const s = this.#session;
    if (s === null) return [];
    const out: DialTarget[] = [];
    for (const r of s.records.values()) {
      if (r.state === 'accepted') out.push({ address: r.address, intent: 'link', lastSeen: r.lastSeen });
      else if (r.state === 'outgoing' && !r.delivered) out.push({ address: r.address, intent: 'request', lastSeen: r.lastSeen, request: { name: s.name, message: r.message } });
    }
    return out;
  }

  requestReceived(address: OnionAddress, request: PeerRequest, certificate: Certificate): Promise<void> {
    return this.#serial(async (s) => {
      if (address === s.own) return;
      const old = s.records.get(address);
      if (old === undefined) {
        if (s.records.size >= this.#maxContacts) return this.#log('contact-request-dropped', { reason: 'full' });
        await this.#evictIncoming(s);
        await this.#keepCert(s, address, certificate);
        await this.#put(s, this.#fresh(address, 'incoming', { proposedName: request.name, message: request.message }), 'contact/didRequest');
        this.#log('contact-request-received', {});
      } else if (old.state === 'incoming') {
        await this.#keepCert(s, address, certificate);
        if (old.proposedName === request.name && old.message === request.message) return;
        await this.#put(s, { ...old, proposedName: request.name, message: request.message, updated: this.#now() });
      }
      // blocked: nothing; outgoing or accepted do not come here (the link manager asks acceptReceived)
    });
  }

  /** Makes room for one more incoming request: the oldest gives way when there are too many. */
  async #evictIncoming(s: Session): Promise<void> {
    const incoming = [...s.records.values()].filter((r) => r.state === 'incoming');
    if (incoming.length < this.#maxIncoming) return;
    const oldest = incoming.reduce((a, b) => (b.updated < a.updated ? b : a));
    await s.collection.del(contactId(oldest.address));
    s.records.delete(oldest.address);
    this.#notify(s, 'contact/didChange', oldest.address);
  }

  acceptReceived(address: OnionAddress): Promise<boolean> {
    // (the certificate is kept when the link comes up: linkChanged)
    return this.#serial(async (s) => {
      const old = s.records.get(address);
      if (old === undefined || (old.state !== 'outgoing' && old.state !== 'accepted')) return false;
      if (old.state === 'outgoing') {
        await this.#put(s, { ...old, state: 'accepted', delivered: true, updated: this.#now() });
        this.#log('contact-accepted', {});
      }
      return true;
    }).catch(() => false);
  }

  requestDelivered(address: OnionAddress): Promise<void> {
    return this.#serial(async (s) => {
      const old = s.records.get(address);
      if (old?.state !== 'outgoing' || old.delivered) return;
      await this.#put(s, { ...old, delivered: true, updated: this.#now() }, null);
      this.#log('contact-request-delivered', {});
    });
  }

  linkChanged(address: OnionAddress, online: boolean, certificate?: Certificate): void {
    const s = this.#session;
    if (s === null) return;
    const old = s.records.get(address);
    if (old === undefined) return;
    this.#sync?.linkChanged(address, online);
    if (!online) {
      this.#notify(s, 'contact/didChange', address);
      return;
    }
    // lastSeen is kept durably, but a failed write costs only the dial order
    void this.#serial(async (s2) => {
      const r = s2.records.get(address);
      if (r === undefined) return;
      if (certificate !== undefined) await this.#keepCert(s2, address, certificate);
      await this.#put(s2, { ...r, lastSeen: this.#now() });
    })
      .then(() => {
        this.#groups?.linkUp(address);
        return this.#flush(address);
      })
      .catch((err: unknown) => this.#log('contact-write-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
  }

  /** Keeps the certificate a handshake proved for `address` (durably, when it is new). */
  async #keepCert(s: Session, address: OnionAddress, cert: Certificate): Promise<void> {
    const bytes = encodeCertificate(cert);
    const old = s.certs.get(address);
    if (old !== undefined && encodeCertificate(old).every((b, i) => b === bytes[i])) return;
    await s.store.put(CONTACT_CERTS_NAMESPACE, contactId(address), bytes);
    s.certs.set(address, cert);
  }

  async frameReceived(address: OnionAddress, frame: PeerFrame, certificate: Certificate): Promise<PeerFrame | null> {
    const s = this.#session;
    if (s === null || s.records.get(address)?.state !== 'accepted') return null;
    if (isSyncFrame(frame)) {
      this.#sync?.frameReceived(address, frame); // before any await: arrival order is kept
      return null;
    }
    if (frame.type === 'direct-entry') {
      const got = await s.conversations.received(address, certificate, frame.entry);
      if (got === null) return null;
      if (got.fresh && got.message !== false) await this.#bumpUnread(address);
      return { type: 'ack', entryId: got.id };
    }
    if (frame.type === 'ack') await s.conversations.acknowledged(address, frame.entryId);
    if (frame.type === 'group-invite' || frame.type === 'group-invite-ack') return (await this.#groups?.frameReceived(address, frame)) ?? null;
    return null;
  }

  // --- 1:1 messages ---

  #flush(address: OnionAddress): Promise<void> {
    const s = this.#session;
    const links = this.#links;
    if (s === null || links === null || !links.isOnline(address)) return Promise.resolve();
    return s.conversations.flush(address, (to, entry) => links.sendFrame(to, { type: 'direct-entry', entry })).catch((err: unknown) =>
      this.#log('direct-flush-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }),
    );
  }

  #resendAll(): void {
    const s = this.#session;
    if (s === null) return;
    for (const r of s.records.values()) if (r.state === 'accepted') void this.#flush(r.address);
  }

  /** message/send {address, text}: ERR_NOT_CONTACT unless accepted; the id once durable. */
  async sendMessage(address: OnionAddress, text: string): Promise<string> {
    const s = this.#require();
    if (new TextEncoder().encode(text).length > MESSAGE_TEXT_MAX_BYTES) throw new ApiError('ERR_TOO_LONG');
    const cert = s.certs.get(address);
    if (s.records.get(address)?.state !== 'accepted' || cert === undefined) throw new ApiError('ERR_NOT_CONTACT');
    const id = await s.conversations.send(address, cert, text);
    void this.#flush(address);
    return id;
  }

  /**
   * A reply, reaction, edit or delete to an accepted contact (membership, issue 14): checked by
   * the caller against `directEntryInfo`; ERR_NOT_CONTACT unless accepted. The id once durable.
   */
  async sendContent(address: OnionAddress, content: DirectContent): Promise<string> {
    const s = this.#require();
    const cert = s.certs.get(address);
    if (s.records.get(address)?.state !== 'accepted' || cert === undefined) throw new ApiError('ERR_NOT_CONTACT');
    let id: string;
    try {
      id = await s.conversations.sendContent(address, cert, content);
    } catch (err) {
      if (isProtocolError(err, ProtocolErrorCode.TOO_LONG)) throw new ApiError('ERR_TOO_LONG');
      throw err;
    }
    void this.#flush(address);
    return id;
  }

  /** The author (identity key) and kind of entry `id` with `address`, or null (membership). */
  async directEntryInfo(address: OnionAddress, id: string): Promise<{ author: Uint8Array; kind: DirectContent['kind'] } | null> {
    const s = this.#require();
    if (!s.records.has(address)) throw new ApiError('ERR_NOT_FOUND', 'no such contact');
    return s.conversations.entryInfo(address, id);
  }

  /** One more unread message from `address` (durable, then contact/didChange). */
  #bumpUnread(address: OnionAddress): Promise<void> {
    return this.#serial(async (s) => {
      const r = s.records.get(address);
      if (r === undefined) return;
      await this.#put(s, { ...r, unread: r.unread + 1 });
    }).catch((err: unknown) => this.#log('contact-write-failed', { level: 'warn', code: String((err as { code?: unknown }).code ?? 'ERR_UNKNOWN') }));
  }

  /**
   * message/markRead {address, id}: everything up to `id` is read; unread becomes the count of
   * the contact's messages after it. ERR_NOT_FOUND for no such contact or message.
   */
  async markRead(address: OnionAddress, id: string): Promise<void> {
    const s = this.#require();
    if (!s.records.has(address)) throw new ApiError('ERR_NOT_FOUND', 'no such contact');
    const all = await s.conversations.list(address);
    const i = all.findIndex((m) => m.id === id);
    if (i === -1) throw new ApiError('ERR_NOT_FOUND', 'no such message');
    const unread = all.slice(i + 1).filter((m) => m.status === 'received').length;
    await this.#serial(async (s2) => {
      const r = s2.records.get(address);
      if (r === undefined || r.unread === unread) return;
      await this.#put(s2, { ...r, unread: Math.min(r.unread, unread) });
    });
  }

  /** message/list {address}: oldest first; `before`/`after` exclusive ids; at most `limit`. */
  async listMessages(address: OnionAddress, o: { before?: string | undefined; after?: string | undefined; limit?: number | undefined }): Promise<MessageView[]> {
    const s = this.#require();
    if (!s.records.has(address)) throw new ApiError('ERR_NOT_FOUND', 'no such contact');
    let all = await s.conversations.list(address);
    if (o.after !== undefined) {
      const i = all.findIndex((m) => m.id === o.after);
      all = i === -1 ? [] : all.slice(i + 1);
    }
    if (o.before !== undefined) {
      const i = all.findIndex((m) => m.id === o.before);
      all = i === -1 ? [] : all.slice(0, i);
    }
    const limit = o.limit ?? MESSAGE_LIST_DEFAULT;
    return o.after !== undefined ? all.slice(0, limit) : all.slice(Math.max(0, all.length - limit));
  }
}
