/**
 * Sizes and labels shared across the protocol. Every size is in bytes.
 */

/** Version byte that starts every blob a pub stores. */
export const BLOB_VERSION = 0x01;

/**
 * The only lengths a blob may have: version (1) || nonce (24) || ciphertext of a padded entry
 * (length - 41) || tag (16). An ordinary text message always lands in the smallest size, so a
 * pub cannot tell one text from another by length. Ascending order.
 */
export const BLOB_SIZES: readonly number[] = [2048, 8192, 32768, 131072];

/** The largest blob of all. */
export const BLOB_SIZE_MAX = 131072;

/** Bytes of a blob before the ciphertext: the version byte and the 24-byte XChaCha20 nonce. */
export const BLOB_HEADER_BYTES = 1 + 24;

/** Bytes a blob adds around its padded plaintext: header (25) and the Poly1305 tag (16). */
export const BLOB_OVERHEAD_BYTES = BLOB_HEADER_BYTES + 16;

/** Bytes of the padding's length prefix (u32, big-endian) in front of the padded entry. */
export const PADDING_PREFIX_BYTES = 4;

/** The largest encoded entry that fits the largest blob. */
export const ENTRY_MAX_BYTES = BLOB_SIZE_MAX - BLOB_OVERHEAD_BYTES - PADDING_PREFIX_BYTES;

/** Version byte of the entry encoding. */
export const ENTRY_VERSION = 0x01;

/** The most heads (latest entries seen from other authors) one entry may name. */
export const ENTRY_HEADS_MAX = 16;

/** Bytes of an entry hash (its id), of a group secret and of every derived group key. */
export const HASH_BYTES = 32;
export const GROUP_SECRET_BYTES = 32;

/** Bytes of an encoded entry apart from its body and its heads: see docs/protocol.md. */
export const ENTRY_FIXED_BYTES = 1 + 1 + 32 + 8 + 32 + 8 + 1 + 4 + 64;

/** The largest entry body: what is left of ENTRY_MAX_BYTES with every head slot in use. */
export const ENTRY_BODY_MAX_BYTES = ENTRY_MAX_BYTES - ENTRY_FIXED_BYTES - ENTRY_HEADS_MAX * HASH_BYTES;

/** The longest text (UTF-8 bytes) of a text, reply or edit entry. */
export const TEXT_MAX_BYTES = 65536;

/** The longest reaction (UTF-8 bytes, e.g. one emoji sequence). */
export const REACTION_MAX_BYTES = 64;

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

/** The longest group name in an invite, in UTF-8 bytes. */
export const GROUP_NAME_MAX_BYTES = 128;

/** The most pubs one invite may name. */
export const INVITE_PUBS_MAX = 16;

/**
 * Domain-separation labels (ASCII). Derivations use keyed BLAKE2b-256 with the group secret as
 * key and the label as message; hashes use keyed BLAKE2b-256 with the label as key and the data
 * as message. The entry signature label is instead the first bytes of the signed message.
 * Each purpose has its own label.
 */
export const LABEL_GROUP_ID = 'snug/v1/group-id';
export const LABEL_BLOB_KEY = 'snug/v1/blob-key';
export const LABEL_SIGN_BINDING = 'snug/v1/sign-binding';
export const LABEL_ENTRY_SIGNATURE = 'snug/v1/entry';
export const LABEL_ENTRY_ID = 'snug/v1/entry-id';
export const LABEL_BLOB_HASH = 'snug/v1/blob-hash';
export const LABEL_INVITE_CHECKSUM = 'snug/v1/invite-checksum';

/** Signature labels (prefix-free: signed as u8 length || label || message, see crypto.signLabelled). */
export const LABEL_CERTIFICATE = 'snug/v2/certificate';
