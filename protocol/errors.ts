/**
 * Typed errors of the protocol layer. Every decoder and every check in protocol/ fails with
 * one of these and never with anything else. Callers (and tests) branch on `code`, which is
 * stable across releases; `message` is for humans and may change.
 */

export const ProtocolErrorCode = {
  /** Input ended before the structure was complete. */
  TRUNCATED: 'ERR_TRUNCATED',
  /** Input is longer than the structure allows, or has trailing bytes. */
  OVERSIZED: 'ERR_OVERSIZED',
  /** A version byte or string names a version this implementation does not speak. */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** Bytes that decode but are not in the one canonical form (so would not re-encode identically). */
  NON_CANONICAL: 'ERR_NON_CANONICAL',
  /** A field holds a value outside its allowed range or set. */
  INVALID_FIELD: 'ERR_INVALID_FIELD',
  /** A signature, MAC or AEAD tag does not verify. */
  UNAUTHENTIC: 'ERR_UNAUTHENTIC',
  /** A checksum does not match. */
  BAD_CHECKSUM: 'ERR_BAD_CHECKSUM',
  /** A key is malformed, of small order, or otherwise unusable. */
  BAD_KEY: 'ERR_BAD_KEY',
  /** A text form (address, invite) is not well formed. */
  MALFORMED: 'ERR_MALFORMED',
  /** A text is longer than the longest message snug carries (docs/protocol.md, "Sizes"). */
  TOO_LONG: 'ERR_TOO_LONG',
  /** libsodium was used before `ready()` resolved. */
  NOT_READY: 'ERR_CRYPTO_NOT_READY',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Base of every error snug raises on purpose. */
export class SnugError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnugError';
    this.code = code;
  }
}

export class ProtocolError extends SnugError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}
