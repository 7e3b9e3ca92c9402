/**
 * Member sync links (docs/peer-protocol.md, "Member links"): the link manager's side. A member
 * link is a peer link between two members of a group who are not contacts; it carries that
 * group's sync frames only. Whether to accept one, and what it may carry, is the handler's
 * (daemon/group-sync/): the link manager only dials, hands over, routes sync frames, keeps the
 * link alive and closes it.
 */
import type { OnionAddress } from '../../protocol/identity.js';
import type { SyncFrame, SyncLinkFrame } from '../../protocol/sync/frames.js';

/** One member link, as the handler sees it. */
export interface MemberLink {
  readonly address: OnionAddress;
  /** The Noise handshake hash of the link (the proofs' binding). */
  readonly handshakeHash: Uint8Array;
  readonly dialledByUs: boolean;
  /** Sends a sync frame; false when the link is closed. */
  send(frame: SyncFrame): boolean;
  /** Closes the link (the sink's `closed` follows). */
  close(): void;
  readonly closed: boolean;
}

/** Where a member link's frames go. */
export interface MemberLinkSink {
  /** A sync frame, in arrival order. */
  frame(frame: SyncFrame): void;
  /** The link closed (either side, or a bad frame). */
  closed(): void;
}

/** What the link manager asks of group sync. */
export interface MemberLinkHandler {
  /**
   * An incoming link whose first frame was SYNC_LINK: the sink to keep the link with, or null to
   * drop it quietly (nothing is answered).
   */
  incoming(link: MemberLink, first: SyncLinkFrame): MemberLinkSink | null;
}

/** What group sync asks of the link manager. */
export interface MemberLinkDialer {
  /**
   * Dials `address`, and once the handshake is done sends `first(handshakeHash)` (SYNC_LINK) as
   * the first frame; resolves with the link, whose frames go to `sink(link)`. Rejects when the
   * dial or handshake fails, or when the link manager is stopped or full.
   */
  dialMember(address: OnionAddress, first: (handshakeHash: Uint8Array) => SyncLinkFrame, sink: (link: MemberLink) => MemberLinkSink): Promise<MemberLink>;
}
