/**
 * Reading (and, for test/vectors/generate.ts only, writing) the committed test vectors in
 * test/vectors/*.json. Tests run from dist/, so the repository root is found by walking up from
 * this module to the nearest package.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../protocol/bytes.js';
import type { EntryContent } from '../../protocol/entry.js';
import { isProtocolError } from '../../protocol/errors.js';

export function findRepoRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above ' + from);
    dir = up;
  }
  return dir;
}

export function vectorPath(name: string): string {
  return join(findRepoRoot(), 'test', 'vectors', `${name}.json`);
}

/** The parsed vector file `test/vectors/<name>.json`. */
export function readVectors<T>(name: string): T {
  return JSON.parse(readFileSync(vectorPath(name), 'utf8')) as T;
}

export function writeVectors(name: string, value: unknown): void {
  writeFileSync(vectorPath(name), JSON.stringify(value, null, 2) + '\n');
}

// ---- JSON forms of protocol values (hex for bytes) shared by generate.ts and the tests ----

export type ContentJson =
  | { kind: 'text'; text: string }
  | { kind: 'reply'; target: string; text: string }
  | { kind: 'reaction'; target: string; reaction: string }
  | { kind: 'edit'; target: string; text: string }
  | { kind: 'membership'; op: 'add' | 'remove'; member: string };

export function contentToJson(c: EntryContent): ContentJson {
  switch (c.kind) {
    case 'text':
      return { kind: 'text', text: c.text };
    case 'reply':
      return { kind: 'reply', target: toHex(c.target), text: c.text };
    case 'reaction':
      return { kind: 'reaction', target: toHex(c.target), reaction: c.reaction };
    case 'edit':
      return { kind: 'edit', target: toHex(c.target), text: c.text };
    case 'membership':
      return { kind: 'membership', op: c.op, member: toHex(c.member) };
  }
}

export function contentFromJson(c: ContentJson): EntryContent {
  switch (c.kind) {
    case 'text':
      return { kind: 'text', text: c.text };
    case 'reply':
      return { kind: 'reply', target: fromHex(c.target), text: c.text };
    case 'reaction':
      return { kind: 'reaction', target: fromHex(c.target), reaction: c.reaction };
    case 'edit':
      return { kind: 'edit', target: fromHex(c.target), text: c.text };
    case 'membership':
      return { kind: 'membership', op: c.op, member: fromHex(c.member) };
  }
}

export interface IdentityVector {
  seed: string;
  publicKey: string;
  address: string;
  expandedSecretKey: string;
}

export interface GroupVector {
  secret: string;
  groupId: string;
  blobKey: string;
  binding: string;
}

export interface EntryVector {
  description: string;
  groupSecret: string;
  authorSeed: string;
  author: string;
  seq: number;
  prev: string;
  timestamp: number;
  heads: string[];
  content: ContentJson;
  /** "snug/v1/entry" || binding || encoding without signature: what the author signs. */
  signedMessage: string;
  signature: string;
  encoding: string;
  id: string;
}

export interface CertificateVector {
  description: string;
  identitySeed: string;
  signingSeed: string;
  dhSeed: string;
  created: number;
  address: string;
  identityKey: string;
  signingKey: string;
  dhKey: string;
  /** u8 len || "snug/v2/certificate" || the 105 bytes before the signature. */
  signedMessage: string;
  encoding: string;
}

export interface BlobVector {
  description: string;
  groupSecret: string;
  entry: string;
  nonce: string;
  size: number;
  blob: string;
  blobHash: string;
}

export interface PowVector {
  readonly powContext: string;
  readonly blobHash: string;
  readonly difficulty: number;
  /** Decimal u64. */
  readonly nonce: string;
  readonly digest: string;
  readonly leadingZeroBits: number;
}

export interface InviteVector {
  secret: string;
  name: string;
  pubs: string[];
  bytes: string;
  text: string;
}

/**
 * The ProtocolError code `fn` fails with, or undefined when it returns. Anything thrown that is
 * not a ProtocolError is re-thrown, so a test asserting on codes also fails on a stray RangeError.
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
  return undefined;
}
