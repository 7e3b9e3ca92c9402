/**
 * Reading (and, for test/vectors/generate.ts only, writing) the committed test vectors in
 * test/vectors/*.json. Tests run from dist/, so the repository root is found by walking up from
 * this module to the nearest package.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../protocol/bytes.js';
import { decodeCertificate, encodeCertificate } from '../../protocol/certificate.js';
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
  | { kind: 'genesis'; salt: string; certificate: string; name: string; pubs: string[]; membersMayInvite: boolean; admins: string[] }
  | { kind: 'text'; text: string }
  | { kind: 'reply'; target: string; text: string }
  | { kind: 'reaction'; target: string; reaction: string }
  | { kind: 'edit'; target: string; text: string }
  | { kind: 'delete'; target: string }
  | { kind: 'invite'; inviteId: string; includesHistory: boolean; expires: number; uses: number }
  | { kind: 'join'; invite: string; certificate: string }
  | { kind: 'add'; certificate: string }
  | { kind: 'remove'; removed: string[]; keyPackage: string }
  | { kind: 'leave' }
  | { kind: 'role'; member: string; role: 'member' | 'admin' }
  | { kind: 'pubs'; pubs: string[] }
  | { kind: 'hide'; target: string };

/** The JSON form of entry content (bytes as hex, certificates as their hex encoding). */
export function contentToJson(c: EntryContent): ContentJson {
  switch (c.kind) {
    case 'genesis':
      return {
        kind: 'genesis',
        salt: toHex(c.salt),
        certificate: toHex(encodeCertificate(c.certificate)),
        name: c.settings.name,
        pubs: [...c.settings.pubs],
        membersMayInvite: c.settings.membersMayInvite,
        admins: c.admins.map(toHex),
      };
    case 'text':
      return { kind: 'text', text: c.text };
    case 'reply':
      return { kind: 'reply', target: toHex(c.target), text: c.text };
    case 'reaction':
      return { kind: 'reaction', target: toHex(c.target), reaction: c.reaction };
    case 'edit':
      return { kind: 'edit', target: toHex(c.target), text: c.text };
    case 'delete':
      return { kind: 'delete', target: toHex(c.target) };
    case 'invite':
      return { kind: 'invite', inviteId: toHex(c.inviteId), includesHistory: c.includesHistory, expires: c.expires, uses: c.uses };
    case 'join':
      return { kind: 'join', invite: toHex(c.invite), certificate: toHex(encodeCertificate(c.certificate)) };
    case 'add':
      return { kind: 'add', certificate: toHex(encodeCertificate(c.certificate)) };
    case 'remove':
      return { kind: 'remove', removed: c.removed.map(toHex), keyPackage: toHex(c.keyPackage) };
    case 'leave':
      return { kind: 'leave' };
    case 'role':
      return { kind: 'role', member: toHex(c.member), role: c.role };
    case 'pubs':
      return { kind: 'pubs', pubs: [...c.pubs] };
    case 'hide':
      return { kind: 'hide', target: toHex(c.target) };
  }
}

export function contentFromJson(c: ContentJson): EntryContent {
  switch (c.kind) {
    case 'genesis':
      return {
        kind: 'genesis',
        salt: fromHex(c.salt),
        certificate: decodeCertificate(fromHex(c.certificate)),
        settings: { name: c.name, pubs: c.pubs, membersMayInvite: c.membersMayInvite },
        admins: c.admins.map(fromHex),
      };
    case 'text':
      return { kind: 'text', text: c.text };
    case 'reply':
      return { kind: 'reply', target: fromHex(c.target), text: c.text };
    case 'reaction':
      return { kind: 'reaction', target: fromHex(c.target), reaction: c.reaction };
    case 'edit':
      return { kind: 'edit', target: fromHex(c.target), text: c.text };
    case 'delete':
      return { kind: 'delete', target: fromHex(c.target) };
    case 'invite':
      return { kind: 'invite', inviteId: fromHex(c.inviteId), includesHistory: c.includesHistory, expires: c.expires, uses: c.uses };
    case 'join':
      return { kind: 'join', invite: fromHex(c.invite), certificate: decodeCertificate(fromHex(c.certificate)) };
    case 'add':
      return { kind: 'add', certificate: decodeCertificate(fromHex(c.certificate)) };
    case 'remove':
      return { kind: 'remove', removed: c.removed.map(fromHex), keyPackage: fromHex(c.keyPackage) };
    case 'leave':
      return { kind: 'leave' };
    case 'role':
      return { kind: 'role', member: fromHex(c.member), role: c.role };
    case 'pubs':
      return { kind: 'pubs', pubs: c.pubs };
    case 'hide':
      return { kind: 'hide', target: fromHex(c.target) };
  }
}

export interface IdentityVector {
  seed: string;
  publicKey: string;
  address: string;
  expandedSecretKey: string;
}

export interface EpochVector {
  description: string;
  epochSecret: string;
  groupId: string;
  epochNumber: number;
  epochOpener: string;
  blobKey: string;
  binding: string;
}

export interface EntryVector {
  description: string;
  /** For a genesis: null (signed without a binding). */
  epochSecret: string | null;
  groupId: string;
  epochNumber: number;
  epochOpener: string;
  authorSeed: string;
  author: string;
  seq: number;
  prev: string;
  timestamp: number;
  heads: string[];
  content: ContentJson;
  /** u8 len || label || [binding] || encoding without signature: what the author signs. */
  signedMessage: string;
  signature: string;
  encoding: string;
  id: string;
}

export interface DirectKeysVector {
  description: string;
  identitySeedA: string;
  dhSeedA: string;
  identitySeedB: string;
  dhSeedB: string;
  identityKeyA: string;
  dhKeyA: string;
  identityKeyB: string;
  dhKeyB: string;
  /** X25519 shared secret (the same from both sides). */
  dh: string;
  parties: [string, string];
  macKey: string;
  blobKey: string;
  conversationId: string;
}

export interface DirectEntryVector {
  description: string;
  /** Index into the keys vectors. */
  keys: number;
  author: string;
  seq: number;
  prev: string;
  timestamp: number;
  heads: string[];
  content: ContentJson;
  /** u8 len || "snug/v2/direct-entry" || encoding without the MAC: what the MAC covers. */
  macInput: string;
  mac: string;
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
  blobKey: string;
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
