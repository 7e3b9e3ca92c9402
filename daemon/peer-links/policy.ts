/**
 * What the link manager asks of whoever decides who is a contact (daemon/contacts/ implements
 * it). The link manager speaks the peer protocol; the policy owns the records. Every method that
 * changes a record resolves once the change is durable.
 */
import type { Certificate } from '../../protocol/certificate.js';
import type { OnionAddress } from '../../protocol/identity.js';
import type { PeerFrame } from '../../protocol/peer/wire.js';

/** How this daemon stands toward an address. */
export type PeerRelation = 'stranger' | 'blocked' | 'incoming' | 'outgoing' | 'accepted';

/** What a contact request carries besides its price. */
export interface PeerRequest {
  /** The name the requester proposes (its own profile name). */
  readonly name: string | null;
  readonly message: string | null;
}

/** Someone the link manager should dial. */
export interface DialTarget {
  readonly address: OnionAddress;
  /** 'link': an accepted contact (keep a link up); 'request': deliver our contact request. */
  readonly intent: 'link' | 'request';
  /** When a link to it last came up (ms), or null: most recently reachable first. */
  readonly lastSeen: number | null;
  /** For 'request': what we send. */
  readonly request?: PeerRequest;
}

export interface PeerPolicy {
  relation(address: OnionAddress): PeerRelation;
  /** Whom to dial now. */
  dialTargets(): readonly DialTarget[];
  /**
   * A priced request from a stranger, a pending requester or a blocked address, after the
   * uniform reply went out: the policy records it (or, blocked, ignores it).
   */
  requestReceived(address: OnionAddress, request: PeerRequest, certificate: Certificate): Promise<void>;
  /**
   * The peer accepted us (or, both accepted, opens a link), or asked while we had asked it (a
   * mutual request): true when the link is to be kept (we had it outgoing or accepted; it is
   * accepted now), false to drop it quietly.
   */
  acceptReceived(address: OnionAddress, request?: PeerRequest): Promise<boolean>;
  /** Our request reached the peer (it answered with the uniform reply). */
  requestDelivered(address: OnionAddress): Promise<void>;
  /** A contact link came up (with the certificate its handshake proved) or went down. */
  linkChanged(address: OnionAddress, online: boolean, certificate?: Certificate): void;
  /**
   * A frame on a contact's link that is not the link's own (a DIRECT_ENTRY, an ACK): the frame
   * to answer with, if any (sent once the promise resolves, i.e. after what it acknowledges is
   * durable).
   */
  frameReceived(address: OnionAddress, frame: PeerFrame, certificate: Certificate): Promise<PeerFrame | null>;
}
