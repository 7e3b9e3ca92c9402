/**
 * Defaults of the profile (docs/profile.md). The KDF defaults are what users get; the
 * development cost exists only so that tests are fast, and the daemon accepts it only in
 * development mode.
 */

/** Argon2id cost: passes over memory, and memory in bytes (libsodium's opslimit / memlimit). */
export interface KdfParams {
  readonly opsLimit: number;
  readonly memLimit: number;
}

/**
 * The default: libsodium's MODERATE limits for Argon2id (crypto_pwhash_OPSLIMIT_MODERATE = 3,
 * crypto_pwhash_MEMLIMIT_MODERATE = 256 MiB), about 0.7 s on one core of a 2020s laptop.
 */
export const DEFAULT_KDF: KdfParams = Object.freeze({ opsLimit: 3, memLimit: 256 * 1024 * 1024 });

/**
 * DEVELOPMENT ONLY: libsodium's minimums (1 pass, 8 KiB), a millisecond. Offers no protection
 * to a passphrase; the daemon refuses it outside development mode and reports it in status.
 */
export const DEVELOPMENT_KDF: KdfParams = Object.freeze({ opsLimit: 1, memLimit: 8 * 1024 });

/** Bounds a header's (or a caller's) parameters must be within; others are refused. */
export const KDF_OPS_MIN = 1;
export const KDF_OPS_MAX = 64;
export const KDF_MEM_MIN = 8 * 1024;
/**
 * 1 GiB, libsodium's SENSITIVE memory limit. The WebAssembly build runs 1.5 GiB but refuses
 * 2 GiB ("invalid usage"), so the bound keeps a header from asking for what cannot run.
 */
export const KDF_MEM_MAX = 1024 * 1024 * 1024;

/** True when `p` is weaker than the default in either dimension (development cost). */
export function isBelowDefaultKdf(p: KdfParams): boolean {
  return p.opsLimit < DEFAULT_KDF.opsLimit || p.memLimit < DEFAULT_KDF.memLimit;
}

/**
 * Wrong passphrases are slowed: after the n-th consecutive failure, the next attempt (unlock or
 * changePassphrase) waits FAILURE_DELAY_BASE_MS * 2^(n-1), at most FAILURE_DELAY_MAX_MS, before
 * its KDF runs (1 s, 2 s, 4 s, ... 60 s). A success resets the count. The count is kept in
 * memory only (a counter on disk would be plaintext); it adds to the KDF cost, which already
 * bounds guessing through the daemon to about one guess per KDF run.
 */
export const FAILURE_DELAY_BASE_MS = 1000;
export const FAILURE_DELAY_MAX_MS = 60_000;

/** A profile name: 1..NAME_MAX_BYTES bytes of UTF-8. */
export const NAME_MAX_BYTES = 256;
/** A passphrase: 1..PASSPHRASE_MAX_BYTES bytes of UTF-8 (after NFC normalisation). */
export const PASSPHRASE_MAX_BYTES = 1024;

/** Names of the profile's files inside its directory. */
export const HEADER_FILE = 'header';
export const RECORDS_DIR = 'records';
