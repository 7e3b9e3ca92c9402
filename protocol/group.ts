/**
 * Groups. A group is a random 32-byte secret; everything else is derived from it with keyed
 * BLAKE2b-256 (key = the secret, message = an ASCII label per purpose):
 *
 *   groupId = BLAKE2b-256(key = secret, "snug/v1/group-id")      local name for the API only
 *   blobKey = BLAKE2b-256(key = secret, "snug/v1/blob-key")      XChaCha20-Poly1305 key of blobs
 *   binding = BLAKE2b-256(key = secret, "snug/v1/sign-binding")  bound into every entry signature
 *
 * Nothing in a blob names the group: the groupId never leaves the member's own machine.
 */
import { toHex } from './bytes.js';
import { deriveKey, randomBytes } from './crypto.js';
import { GROUP_SECRET_BYTES, LABEL_BLOB_KEY, LABEL_GROUP_ID, LABEL_SIGN_BINDING } from './constants.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

export interface GroupKeys {
  /** The 32-byte group secret (shared by invite). */
  readonly secret: Uint8Array;
  /** 32-byte local group identifier. */
  readonly id: Uint8Array;
  /** `id` as 64 lowercase hex characters: the `groupId` of the local API. */
  readonly groupId: string;
  /** 32-byte XChaCha20-Poly1305 key that seals the group's blobs. */
  readonly blobKey: Uint8Array;
  /** 32 bytes bound into every entry signature, so an entry cannot be replayed into another group. */
  readonly binding: Uint8Array;
}

export function generateGroupSecret(): Uint8Array {
  return randomBytes(GROUP_SECRET_BYTES);
}

/** Derives every key and identifier of a group from its secret. */
export function deriveGroupKeys(secret: Uint8Array): GroupKeys {
  if (secret.length !== GROUP_SECRET_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_KEY, `a group secret is ${GROUP_SECRET_BYTES} bytes`);
  }
  const id = deriveKey(secret, LABEL_GROUP_ID);
  return {
    secret: secret.slice(),
    id,
    groupId: toHex(id),
    blobKey: deriveKey(secret, LABEL_BLOB_KEY),
    binding: deriveKey(secret, LABEL_SIGN_BINDING),
  };
}
