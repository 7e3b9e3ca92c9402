/**
 * Member sync links (docs/peer-protocol.md, "Member links"): a peer link between two members of
 * a group who are not contacts, opened by a proof that the dialler holds one or more of the
 * group's epoch secrets, bound to both identities and to this very link (the Noise handshake
 * hash). The group is never named: the listener finds it by computing the proofs it would
 * accept for every epoch it holds and comparing.
 *
 *   linkKey = Derive(epochSecret, "snug/v2/sync-link-key", groupId [32] || number u32 || opener [32])
 *   proof   = Derive(linkKey, "snug/v2/sync-link-proof",
 *                    handshakeHash [64] || proverIdentity [32] || verifierIdentity [32])
 *
 *   SYNC_LINK body = version u8 (0x01) || count u8 (1..16) || proof [32] x count (strictly ascending)
 *
 * The prover is the side sending the frame, the verifier the other (so the listener's answer is
 * never the dialler's own proof reflected). A proof is a keyed hash under a key both members
 * hold, over values both sides know: either side could have computed it (deniable), and since
 * the handshake hash is fresh for every link, no two proofs are alike (nothing links sessions;
 * they travel inside the Noise channel anyway). No I/O.
 */
import { ByteReader, ByteWriter, compareBytes } from '../bytes.js';
import { constantTimeEqual, deriveLabelled } from '../crypto.js';
import { HASH_BYTES } from '../constants.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { encodeEpochName, type EpochKeys } from '../group.js';

export const SYNC_LINK_VERSION = 0x01;
/** The most proofs one SYNC_LINK frame carries (a prover sends its newest epochs first). */
export const SYNC_LINK_PROOFS_MAX = 16;
export const SYNC_LINK_PROOF_BYTES = HASH_BYTES;
export const LABEL_SYNC_LINK_KEY = 'snug/v2/sync-link-key';
export const LABEL_SYNC_LINK_PROOF = 'snug/v2/sync-link-proof';
/** Bytes of a Noise handshake hash (BLAKE2b-512). */
export const SYNC_LINK_HANDSHAKE_HASH_BYTES = 64;
const IDENTITY_BYTES = 32;

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) fail(ProtocolErrorCode.INVALID_FIELD, `${what} is ${n} bytes`);
}

/** The link key of an epoch: derived from its secret, bound to the group and the epoch's name. */
export function syncLinkKey(keys: EpochKeys): Uint8Array {
  return deriveLabelled(keys.secret, LABEL_SYNC_LINK_KEY, [keys.groupId, encodeEpochName(keys.epoch)]);
}

/** Who proves to whom, on which link. */
export interface SyncLinkBinding {
  /** The Noise handshake hash of this link (64 bytes, the same on both sides). */
  readonly handshakeHash: Uint8Array;
  /** The identity key of the side sending the proof. */
  readonly prover: Uint8Array;
  /** The identity key of the side checking it. */
  readonly verifier: Uint8Array;
}

function checkBinding(b: SyncLinkBinding): void {
  checkLength(b.handshakeHash, SYNC_LINK_HANDSHAKE_HASH_BYTES, 'a handshake hash');
  checkLength(b.prover, IDENTITY_BYTES, 'an identity key');
  checkLength(b.verifier, IDENTITY_BYTES, 'an identity key');
}

/** One epoch's proof for this link (the prover's proof of holding that epoch's secret). */
export function syncLinkProof(linkKey: Uint8Array, binding: SyncLinkBinding): Uint8Array {
  checkBinding(binding);
  return deriveLabelled(linkKey, LABEL_SYNC_LINK_PROOF, [binding.handshakeHash, binding.prover, binding.verifier]);
}

/**
 * The proofs a prover sends for the epochs it holds: its SYNC_LINK_PROOFS_MAX newest epochs
 * (by number), in canonical order (ascending bytewise). INVALID_FIELD with no epoch.
 */
export function createSyncLinkProofs(epochs: readonly EpochKeys[], binding: SyncLinkBinding): Uint8Array[] {
  if (epochs.length === 0) fail(ProtocolErrorCode.INVALID_FIELD, 'a link proof names at least one epoch');
  const newest = [...epochs].sort((a, b) => b.epoch.number - a.epoch.number || compareBytes(a.epoch.opener, b.epoch.opener)).slice(0, SYNC_LINK_PROOFS_MAX);
  return newest.map((k) => syncLinkProof(syncLinkKey(k), binding)).sort(compareBytes);
}

/**
 * The epochs among `candidates` that one of `proofs` proves for this link: each candidate's
 * expected proof is computed and compared in constant time with every proof received (the work
 * is the same whether or not anything matches).
 */
export function matchSyncLinkProofs<T extends { readonly linkKey: Uint8Array }>(proofs: readonly Uint8Array[], candidates: readonly T[], binding: SyncLinkBinding): T[] {
  checkBinding(binding);
  const out: T[] = [];
  for (const c of candidates) {
    const expected = syncLinkProof(c.linkKey, binding);
    let hit = false;
    for (const p of proofs) hit = constantTimeEqual(expected, p) || hit;
    if (hit) out.push(c);
  }
  return out;
}

/** Checks a proof list's bounds and order (encoding and decoding). */
export function checkSyncLinkProofs(proofs: readonly Uint8Array[]): void {
  if (proofs.length < 1 || proofs.length > SYNC_LINK_PROOFS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a link frame carries 1..${SYNC_LINK_PROOFS_MAX} proofs`);
  for (let i = 0; i < proofs.length; i++) {
    checkLength(proofs[i]!, SYNC_LINK_PROOF_BYTES, 'a link proof');
    if (i > 0 && compareBytes(proofs[i - 1]!, proofs[i]!) >= 0) fail(ProtocolErrorCode.NON_CANONICAL, 'link proofs are strictly ascending');
  }
}

/** The body of a SYNC_LINK frame. */
export function encodeSyncLinkBody(proofs: readonly Uint8Array[]): Uint8Array {
  checkSyncLinkProofs(proofs);
  const w = new ByteWriter(2 + proofs.length * SYNC_LINK_PROOF_BYTES).u8(SYNC_LINK_VERSION).u8(proofs.length);
  for (const p of proofs) w.fixed(p, SYNC_LINK_PROOF_BYTES);
  return w.finish();
}

/** Decodes a SYNC_LINK body (UNSUPPORTED_VERSION, INVALID_FIELD, NON_CANONICAL, TRUNCATED, OVERSIZED). */
export function decodeSyncLinkBody(body: Uint8Array): Uint8Array[] {
  const r = new ByteReader(body);
  const version = r.u8('link version');
  if (version !== SYNC_LINK_VERSION) fail(ProtocolErrorCode.UNSUPPORTED_VERSION, `sync link version ${version}`);
  const count = r.u8('proof count');
  if (count < 1 || count > SYNC_LINK_PROOFS_MAX) fail(ProtocolErrorCode.INVALID_FIELD, `a link frame carries 1..${SYNC_LINK_PROOFS_MAX} proofs`);
  const proofs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) proofs.push(r.fixed(SYNC_LINK_PROOF_BYTES, 'link proof'));
  r.end('sync link');
  checkSyncLinkProofs(proofs);
  return proofs;
}
