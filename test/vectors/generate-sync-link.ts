/**
 * Writes test/vectors/sync-link.json (member sync links, protocol/sync/link.ts): link keys of
 * fixed epochs, the proofs both sides of one fixed handshake hash send, the SYNC_LINK frames
 * carrying them, and invalid frames with their error codes. Run by hand after a deliberate
 * format change: `npx tsc -p tsconfig.json && node dist/test/vectors/generate-sync-link.js`.
 * Tests only read it.
 */
import { toHex } from '../../protocol/bytes.js';
import { ready } from '../../protocol/crypto.js';
import { isProtocolError } from '../../protocol/errors.js';
import { deriveEpochKeys, firstEpoch } from '../../protocol/group.js';
import { decodeFrame, encodeFrame } from '../../protocol/peer/wire.js';
import { createSyncLinkProofs, syncLinkKey, syncLinkProof } from '../../protocol/sync/link.js';
import { seeded } from '../helpers/sync-log.js';
import { writeVectors } from '../helpers/vectors.js';
import type { SyncLinkVectors } from '../helpers/sync-link-vectors.js';

await ready();

const groupId = seeded('link group');
const epochs = [
  deriveEpochKeys(seeded('link epoch 0 secret'), groupId, firstEpoch(groupId)),
  deriveEpochKeys(seeded('link epoch 1 secret'), groupId, { number: 1, opener: seeded('link epoch 1 opener') }),
];
const handshakeHash = seeded('link handshake hash', 64);
const dialler = seeded('link dialler identity');
const listener = seeded('link listener identity');

const diallerBinding = { handshakeHash, prover: dialler, verifier: listener };
const listenerBinding = { handshakeHash, prover: listener, verifier: dialler };
const frameOf = (proofs: Uint8Array[]) => toHex(encodeFrame({ type: 'sync-link', proofs }));

function codeOf(hex: string): string {
  try {
    decodeFrame(Uint8Array.from(Buffer.from(hex, 'hex')));
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
  throw new Error(`${hex} decodes`);
}

const diallerProofs = createSyncLinkProofs(epochs, diallerBinding);
const one = toHex(diallerProofs[0]!);
const two = toHex(diallerProofs[1]!);
const invalid = [
  { description: 'another link version', encoding: `014802` + `01` + one },
  { description: 'no proof', encoding: `01480100` },
  { description: 'seventeen proofs', encoding: `01480111` + one.repeat(17) },
  { description: 'proofs out of order', encoding: `01480102` + two + one },
  { description: 'the same proof twice', encoding: `01480102` + one + one },
  { description: 'a short proof', encoding: `01480101` + one.slice(0, 62) },
  { description: 'a trailing byte', encoding: `01480101` + one + '00' },
].map((v) => ({ ...v, code: codeOf(v.encoding) }));

const vectors: SyncLinkVectors = {
  groupId: toHex(groupId),
  handshakeHash: toHex(handshakeHash),
  dialler: toHex(dialler),
  listener: toHex(listener),
  epochs: epochs.map((k) => {
    const linkKey = syncLinkKey(k);
    return {
      number: k.epoch.number,
      opener: toHex(k.epoch.opener),
      secret: toHex(k.secret),
      linkKey: toHex(linkKey),
      diallerProof: toHex(syncLinkProof(linkKey, diallerBinding)),
      listenerProof: toHex(syncLinkProof(linkKey, listenerBinding)),
    };
  }),
  diallerFrame: frameOf(diallerProofs),
  listenerFrame: frameOf(createSyncLinkProofs([epochs[0]!], listenerBinding)),
  invalid,
};
writeVectors('sync-link', vectors);
console.log('wrote test/vectors/sync-link.json');
