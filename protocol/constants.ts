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
