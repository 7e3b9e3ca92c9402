/**
 * Sizes and labels shared across the protocol. Every size is in bytes.
 */

/** Version byte that starts every blob a pub stores (0x02: entries v2, sizes of docs/protocol.md §9). */
export const BLOB_VERSION = 0x02;

/**
 * The only lengths a blob may have: version (1) || nonce (24) || ciphertext of a padded entry
 * (length - 41) || tag (16). Ascending order; an entry takes the smallest size it fits.
 *
 * - 5,120 (BLOB_SIZE_STANDARD): every entry except long texts and key packages of larger groups,
 *   in its worst case: 16 heads and a text of 4,000 UTF-8 bytes (any 1,000 code points).
 * - 20,480: texts longer than that, up to TEXT_MAX_BYTES; also key packages of up to ~170 members.
 * - 65,536 and 131,072: key packages only (up to ~570 and ~1,100 members).
 */
export const BLOB_SIZE_STANDARD = 5120;
export const BLOB_SIZE_LONG = 20480;
export const BLOB_SIZES: readonly number[] = [BLOB_SIZE_STANDARD, BLOB_SIZE_LONG, 65536, 131072];

/** The largest blob of all. */
export const BLOB_SIZE_MAX = 131072;

/** Bytes of a blob before the ciphertext: the version byte and the 24-byte XChaCha20 nonce. */
export const BLOB_HEADER_BYTES = 1 + 24;

/** Bytes a blob adds around its padded plaintext: header (25) and the Poly1305 tag (16). */
export const BLOB_OVERHEAD_BYTES = BLOB_HEADER_BYTES + 16;

/** Bytes of the padding's length prefix (u32, big-endian) in front of the padded entry. */
export const PADDING_PREFIX_BYTES = 4;

/** The largest encoded entry that fits a blob of `size` bytes. */
export function entryCapacity(size: number): number {
  return size - BLOB_OVERHEAD_BYTES - PADDING_PREFIX_BYTES;
}

/** The largest encoded entry that fits the largest blob (131,027). */
export const ENTRY_MAX_BYTES = BLOB_SIZE_MAX - BLOB_OVERHEAD_BYTES - PADDING_PREFIX_BYTES;

/** Version byte of the (group) entry encoding. */
export const ENTRY_VERSION = 0x02;

/** Version byte of the 1:1 (direct) entry encoding. */
export const DIRECT_ENTRY_VERSION = 0x01;

/** The most heads (latest entries seen from other authors) one entry may name. */
export const ENTRY_HEADS_MAX = 16;

/** Bytes of an entry hash (its id), of an epoch secret and of every derived key. */
export const HASH_BYTES = 32;
export const EPOCH_SECRET_BYTES = 32;
/** Kept for protocol/invite.ts (v1): the secret an invite carries. */
export const GROUP_SECRET_BYTES = EPOCH_SECRET_BYTES;

/**
 * Bytes of a group entry apart from its body and its heads: version, kind, epoch number, epoch
 * opener, author, seq, prev, timestamp, head count, body length, signature (docs/protocol.md §4).
 */
export const ENTRY_FIXED_BYTES = 1 + 1 + 4 + 32 + 32 + 8 + 32 + 8 + 1 + 4 + 64;

/** Bytes of a direct entry apart from its body and its heads (no epoch; a 32-byte MAC). */
export const DIRECT_ENTRY_FIXED_BYTES = 1 + 1 + 32 + 8 + 32 + 8 + 1 + 4 + 32;

/** The largest entry body: what is left of ENTRY_MAX_BYTES with every head slot in use. */
export const ENTRY_BODY_MAX_BYTES = ENTRY_MAX_BYTES - ENTRY_FIXED_BYTES - ENTRY_HEADS_MAX * HASH_BYTES;

/**
 * The longest text (UTF-8 bytes) a text, reply or edit always carries in the standard size:
 * 4,000 bytes, which holds any 1,000 Unicode code points (at most 4 bytes each).
 */
export const SHORT_TEXT_MAX_BYTES = 4000;

/** The longest text (UTF-8 bytes) of a text, reply or edit; a longer one is ERR_TOO_LONG. */
export const TEXT_MAX_BYTES = 16384;

/** The longest reaction (UTF-8 bytes, e.g. one emoji sequence). */
export const REACTION_MAX_BYTES = 64;

/** The longest group name, in UTF-8 bytes. */
export const GROUP_NAME_MAX_BYTES = 128;

/** The most pubs a group's settings (or a pub-list change) may name. */
export const GROUP_PUBS_MAX = 16;

/** The most admins a genesis entry may name. */
export const GENESIS_ADMINS_MAX = 64;

/** Bytes of the random salt of a genesis entry (so two groups never share an id). */
export const GENESIS_SALT_BYTES = 32;

/** Bytes of the random invite id an invite entry carries. */
export const INVITE_ID_BYTES = 16;

/** The most members one remove-and-re-key entry removes. */
export const REMOVE_MEMBERS_MAX = 64;

/**
 * The largest key package (protocol/key-package.ts) a remove-and-re-key entry may carry, so the
 * entry fits the largest blob with 16 heads and 64 removed members: 126,976 bytes (124 KiB),
 * at least 1,000 members at about 113 bytes each (80 sealed + 33 checkpoint record).
 */
export const KEY_PACKAGE_MAX_BYTES = 126976;

/**
 * The latest time (ms since the Unix epoch) any signed timestamp may name: 8.64e15, the largest
 * value a JavaScript Date holds, so no valid entry or certificate makes an invalid Date.
 */
export const TIMESTAMP_MAX_MS = 8_640_000_000_000_000;

/** Version byte and length of a profile certificate (protocol/certificate.ts). */
export const CERTIFICATE_VERSION = 0x01;
export const CERTIFICATE_BYTES = 1 + 32 + 32 + 32 + 8 + 64;

/** Version byte of the binary invite. */
export const INVITE_VERSION = 0x01;

/** The fixed prefix of an invite's text form. */
export const INVITE_TEXT_PREFIX = 'snug1';

/** Bytes of the invite checksum (a truncated keyed BLAKE2b-256). */
export const INVITE_CHECKSUM_BYTES = 4;

/** The most pubs one invite may name. */
export const INVITE_PUBS_MAX = 16;

/**
 * Domain-separation labels (ASCII). v2 labels are always used length-prefixed (u8 length ||
 * label) in front of the data they separate, so no label is a prefix of another's input:
 * signatures (crypto.signLabelled), derivations (crypto.deriveLabelled: keyed BLAKE2b-256, key =
 * the secret) and hashes (crypto.labelledHash: keyed BLAKE2b-256, key = the label).
 */
export const LABEL_EPOCH_BLOB_KEY = 'snug/v2/epoch-blob-key';
export const LABEL_EPOCH_BINDING = 'snug/v2/epoch-binding';
export const LABEL_ENTRY_SIGNATURE = 'snug/v2/entry';
export const LABEL_GENESIS_SIGNATURE = 'snug/v2/genesis';
export const LABEL_ENTRY_ID = 'snug/v2/entry-id';
export const LABEL_BLOB_HASH = 'snug/v2/blob-hash';
export const LABEL_CERTIFICATE = 'snug/v2/certificate';
export const LABEL_DIRECT_ROOT = 'snug/v2/direct';
export const LABEL_DIRECT_MAC_KEY = 'snug/v2/direct-mac-key';
export const LABEL_DIRECT_BLOB_KEY = 'snug/v2/direct-blob-key';
export const LABEL_DIRECT_ID = 'snug/v2/direct-id';
export const LABEL_DIRECT_ENTRY_MAC = 'snug/v2/direct-entry';
export const LABEL_DIRECT_ENTRY_ID = 'snug/v2/direct-entry-id';

/** Labels of the v1 invite (protocol/invite.ts, rewritten by the invites work). */
export const LABEL_INVITE_CHECKSUM = 'snug/v1/invite-checksum';
