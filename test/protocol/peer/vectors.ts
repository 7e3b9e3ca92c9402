/**
 * The JSON forms of the peer protocol's committed vectors (test/vectors/peer-*.json), shared by
 * test/vectors/generate-peer.ts (which writes them) and the tests (which only read them).
 */
import { fromHex, toHex } from '../../../protocol/bytes.js';
import type { PeerFrame, ByeReason } from '../../../protocol/peer/wire.js';

export interface PeerSideVector {
  identitySeed: string;
  signingSeed: string;
  dhSeed: string;
  ephemeralSeed: string;
  created: number;
  address: string;
  certificate: string;
  dhPublicKey: string;
  ephemeralPublicKey: string;
}

export interface TransportVector {
  from: 'dialler' | 'listener';
  plaintext: string;
  ciphertext: string;
}

export interface HandshakeVector {
  description: string;
  dialler: PeerSideVector;
  listener: PeerSideVector;
  prologue: string;
  extra2: string;
  extra3: string;
  message1: string;
  message2: string;
  message3: string;
  handshakeHash: string;
  transport: TransportVector[];
}

export type FrameJson =
  | { type: 'hello'; features: string[] }
  | { type: 'contact-request'; name: string; message: string; timeBucket: number; powNonce: string }
  | { type: 'contact-accept'; name: string }
  | { type: 'reply' }
  | { type: 'direct-entry'; entry: string }
  | { type: 'ack'; entryId: string }
  | { type: 'ping'; token: string }
  | { type: 'pong'; token: string }
  | { type: 'bye'; reason: number }
  | { type: 'group-invite'; invite: string }
  | { type: 'group-invite-ack'; inviteEntry: string };

export interface FrameVector {
  description: string;
  frame: FrameJson;
  encoding: string;
}

export interface InvalidFrameVector {
  description: string;
  encoding: string;
  code: string;
}

export interface ContactPowVector {
  from: string;
  to: string;
  name: string;
  message: string;
  timeBucket: number;
  difficulty: number;
  powContext: string;
  powHash: string;
  powNonce: string;
  encoding: string;
}

export interface FrameVectors {
  description: string;
  frames: FrameVector[];
  invalid: InvalidFrameVector[];
  contactPow: ContactPowVector[];
}

export function frameToJson(f: PeerFrame): FrameJson {
  switch (f.type) {
    case 'hello':
      return { type: 'hello', features: [...f.features] };
    case 'contact-request':
      return { type: 'contact-request', name: f.name, message: f.message, timeBucket: f.timeBucket, powNonce: f.powNonce.toString() };
    case 'contact-accept':
      return { type: 'contact-accept', name: f.name };
    case 'reply':
      return { type: 'reply' };
    case 'direct-entry':
      return { type: 'direct-entry', entry: toHex(f.entry) };
    case 'ack':
      return { type: 'ack', entryId: toHex(f.entryId) };
    case 'ping':
    case 'pong':
      return { type: f.type, token: toHex(f.token) };
    case 'bye':
      return { type: 'bye', reason: f.reason };
    case 'group-invite':
      return { type: 'group-invite', invite: toHex(f.invite) };
    case 'group-invite-ack':
      return { type: 'group-invite-ack', inviteEntry: toHex(f.inviteEntry) };
  }
}

export function frameFromJson(j: FrameJson): PeerFrame {
  switch (j.type) {
    case 'hello':
      return { type: 'hello', features: j.features };
    case 'contact-request':
      return { type: 'contact-request', name: j.name, message: j.message, timeBucket: j.timeBucket, powNonce: BigInt(j.powNonce) };
    case 'contact-accept':
      return { type: 'contact-accept', name: j.name };
    case 'reply':
      return { type: 'reply' };
    case 'direct-entry':
      return { type: 'direct-entry', entry: fromHex(j.entry) };
    case 'ack':
      return { type: 'ack', entryId: fromHex(j.entryId) };
    case 'ping':
    case 'pong':
      return { type: j.type, token: fromHex(j.token) };
    case 'bye':
      return { type: 'bye', reason: j.reason as ByeReason };
    case 'group-invite':
      return { type: 'group-invite', invite: fromHex(j.invite) };
    case 'group-invite-ack':
      return { type: 'group-invite-ack', inviteEntry: fromHex(j.inviteEntry) };
  }
}
