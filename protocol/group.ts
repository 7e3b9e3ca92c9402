/**
 * Epochs (docs/protocol.md, "Epochs"). A group's log is divided into key epochs. Each epoch has
 * a random 32-byte secret and a name, (number u32, opener [32]): the opener is the id of the
 * entry that opened the epoch, so two concurrent epochs with the same number differ by name.
 * Epoch 0 is opened by the genesis entry: its opener is the group id (the genesis entry's id).
 * A remove-and-re-key entry of epoch n opens epoch (n + 1, id of that entry).
 *
 * From (epoch secret, group id, epoch name) two keys are derived, each by keyed BLAKE2b-256
 * with the secret as key (crypto.deriveLabelled):
 *
 *   context = groupId [32] || number u32 || opener [32]
 *   blobKey = BLAKE2b-256(key = secret, u8 22 || "snug/v2/epoch-blob-key" || context)
 *   binding = BLAKE2b-256(key = secret, u8 21 || "snug/v2/epoch-binding" || context)
 *
 * The blob key seals the epoch's blobs (XChaCha20-Poly1305); the binding is part of every
 * entry signature of the epoch, so an entry cannot be replayed into another group or epoch.
 * Nothing in a blob names the group or the epoch.
 */
import { ByteReader, ByteWriter, bytesEqual, isAllZero, toHex } from './bytes.js';
import { deriveLabelled, randomBytes } from './crypto.js';
import { EPOCH_SECRET_BYTES, HASH_BYTES, LABEL_EPOCH_BINDING, LABEL_EPOCH_BLOB_KEY } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/** The largest epoch number (u32). */
export const EPOCH_NUMBER_MAX = 0xffff_ffff;
/** Bytes of an encoded epoch name: number u32 || opener [32]. */
export const EPOCH_NAME_BYTES = 4 + HASH_BYTES;

export interface EpochName {
  /** 0..2^32-1. */
  readonly number: number;
  /** Id of the entry that opened the epoch; for epoch 0 the group id. Never all zero. */
  readonly opener: Uint8Array;
}

export interface EpochKeys {
  /** The group's id: the id of its genesis entry [32]. */
  readonly groupId: Uint8Array;
  /** `groupId` as 64 lowercase hex characters: the `groupId` of the local API. */
  readonly groupIdHex: string;
  readonly epoch: EpochName;
  /** The epoch secret [32] (carried by invites and key packages). */
  readonly secret: Uint8Array;
  /** XChaCha20-Poly1305 key that seals the epoch's blobs [32]. */
  readonly blobKey: Uint8Array;
  /** Bound into every entry signature of the epoch [32]. */
  readonly binding: Uint8Array;
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

export function generateEpochSecret(): Uint8Array {
  return randomBytes(EPOCH_SECRET_BYTES);
}

/** Checks an epoch name's ranges (INVALID_FIELD): number u32, opener 32 bytes and not all zero. */
export function checkEpochName(epoch: EpochName): void {
  if (!Number.isInteger(epoch.number) || epoch.number < 0 || epoch.number > EPOCH_NUMBER_MAX) {
    fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch number is a u32');
  }
  if (epoch.opener.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch opener is 32 bytes');
  if (isAllZero(epoch.opener)) fail(ProtocolErrorCode.INVALID_FIELD, 'an epoch opener is an entry id, not zero');
}

/** The name of a group's first epoch: (0, group id). */
export function firstEpoch(groupId: Uint8Array): EpochName {
  if (groupId.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  return { number: 0, opener: groupId.slice() };
}

/** The name of the epoch a remove-and-re-key entry (id `openerId`) of epoch `current` opens. */
export function nextEpoch(current: EpochName, openerId: Uint8Array): EpochName {
  if (current.number >= EPOCH_NUMBER_MAX) fail(ProtocolErrorCode.INVALID_FIELD, 'no epoch after 2^32-1');
  const next = { number: current.number + 1, opener: openerId.slice() };
  checkEpochName(next);
  return next;
}

export function epochNameEqual(a: EpochName, b: EpochName): boolean {
  return a.number === b.number && bytesEqual(a.opener, b.opener);
}

/** number u32 || opener [32]. */
export function encodeEpochName(epoch: EpochName): Uint8Array {
  checkEpochName(epoch);
  return new ByteWriter(EPOCH_NAME_BYTES).u32(epoch.number).fixed(epoch.opener, HASH_BYTES).finish();
}

export function decodeEpochName(bytes: Uint8Array): EpochName {
  const r = new ByteReader(bytes);
  const epoch = { number: r.u32('epoch number'), opener: r.fixed(HASH_BYTES, 'epoch opener') };
  r.end('epoch name');
  checkEpochName(epoch);
  return epoch;
}

/**
 * Derives an epoch's blob key and signature binding. Fails with BAD_KEY for a secret that is
 * not 32 bytes and INVALID_FIELD for a bad name, or for epoch 0 with an opener other than the
 * group id.
 */
export function deriveEpochKeys(epochSecret: Uint8Array, groupId: Uint8Array, epoch: EpochName): EpochKeys {
  if (epochSecret.length !== EPOCH_SECRET_BYTES) fail(ProtocolErrorCode.BAD_KEY, `an epoch secret is ${EPOCH_SECRET_BYTES} bytes`);
  if (groupId.length !== HASH_BYTES) fail(ProtocolErrorCode.INVALID_FIELD, 'a group id is 32 bytes');
  checkEpochName(epoch);
  if (epoch.number === 0 && !bytesEqual(epoch.opener, groupId)) fail(ProtocolErrorCode.INVALID_FIELD, "epoch 0's opener is the group id");
  const context = [groupId, encodeEpochName(epoch)];
  return {
    groupId: groupId.slice(),
    groupIdHex: toHex(groupId),
    epoch: { number: epoch.number, opener: epoch.opener.slice() },
    secret: epochSecret.slice(),
    blobKey: deriveLabelled(epochSecret, LABEL_EPOCH_BLOB_KEY, context),
    binding: deriveLabelled(epochSecret, LABEL_EPOCH_BINDING, context),
  };
}
