import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { deriveEpochKeys, firstEpoch } from '../../../protocol/group.js';
import { decodeFrame, encodeFrame } from '../../../protocol/peer/wire.js';
import { createSyncLinkProofs, matchSyncLinkProofs, SYNC_LINK_PROOFS_MAX, syncLinkKey, syncLinkProof } from '../../../protocol/sync/link.js';
import type { SyncLinkVectors } from '../../helpers/sync-link-vectors.js';
import { seeded } from '../../helpers/sync-log.js';
import { codeOf, readVectors } from '../../helpers/vectors.js';

describe('protocol/sync/link (member link proofs)', () => {
  before(ready);
  const v = readVectors<SyncLinkVectors>('sync-link');
  const groupId = () => fromHex(v.groupId);
  const keysOf = (e: SyncLinkVectors['epochs'][number]) => deriveEpochKeys(fromHex(e.secret), groupId(), { number: e.number, opener: fromHex(e.opener) });
  const dialler = () => ({ handshakeHash: fromHex(v.handshakeHash), prover: fromHex(v.dialler), verifier: fromHex(v.listener) });
  const listener = () => ({ handshakeHash: fromHex(v.handshakeHash), prover: fromHex(v.listener), verifier: fromHex(v.dialler) });

  it('derives the committed link keys and proofs of both sides (test/vectors/sync-link.json)', () => {
    for (const e of v.epochs) {
      const linkKey = syncLinkKey(keysOf(e));
      assert.equal(toHex(linkKey), e.linkKey);
      assert.equal(toHex(syncLinkProof(linkKey, dialler())), e.diallerProof);
      assert.equal(toHex(syncLinkProof(linkKey, listener())), e.listenerProof);
    }
  });

  it('encodes the committed SYNC_LINK frames and decodes them back', () => {
    const proofs = createSyncLinkProofs(v.epochs.map(keysOf), dialler());
    assert.equal(toHex(encodeFrame({ type: 'sync-link', proofs })), v.diallerFrame);
    const back = decodeFrame(fromHex(v.diallerFrame));
    assert.equal(back.type, 'sync-link');
    assert.deepEqual((back as { readonly proofs: readonly Uint8Array[] }).proofs.map(toHex), proofs.map(toHex));
    assert.equal(toHex(encodeFrame({ type: 'sync-link', proofs: createSyncLinkProofs([keysOf(v.epochs[0]!)], listener()) })), v.listenerFrame);
  });

  it('refuses every committed invalid frame with its code', () => {
    assert.ok(v.invalid.length >= 6);
    for (const bad of v.invalid) assert.equal(codeOf(() => decodeFrame(fromHex(bad.encoding))), bad.code, bad.description);
  });

  it('matches exactly the epochs proved, for this link, this prover and this verifier only', () => {
    const keys = v.epochs.map(keysOf);
    const candidates = keys.map((k) => ({ linkKey: syncLinkKey(k), number: k.epoch.number }));
    const proofs = createSyncLinkProofs([keys[1]!], dialler());
    assert.deepEqual(matchSyncLinkProofs(proofs, candidates, dialler()).map((c) => c.number), [1]);
    // the listener's own answer is not the dialler's proof reflected, and another link's proofs are worthless
    assert.deepEqual(matchSyncLinkProofs(proofs, candidates, listener()), []);
    const otherLink = { ...dialler(), handshakeHash: seeded('another handshake', 64) };
    assert.deepEqual(matchSyncLinkProofs(proofs, candidates, otherLink), []);
    const otherVerifier = { ...dialler(), verifier: seeded('a third member') };
    assert.deepEqual(matchSyncLinkProofs(proofs, candidates, otherVerifier), []);
  });

  it('matches nothing for made-up proofs, and binds the key to the group and the epoch', () => {
    const keys = v.epochs.map(keysOf);
    const candidates = keys.map((k) => ({ linkKey: syncLinkKey(k) }));
    const madeUp = Array.from({ length: SYNC_LINK_PROOFS_MAX }, (_, i) => seeded(`made up ${i}`)).sort((a, b) => (toHex(a) < toHex(b) ? -1 : 1));
    assert.deepEqual(matchSyncLinkProofs(madeUp, candidates, dialler()), []);
    const sameSecretOtherGroup = deriveEpochKeys(keys[0]!.secret, seeded('another group'), firstEpoch(seeded('another group')));
    assert.notEqual(toHex(syncLinkKey(sameSecretOtherGroup)), toHex(syncLinkKey(keys[0]!)));
  });

  it('proves at most the newest sixteen epochs, in canonical order, and at least one', () => {
    const g = groupId();
    const many = Array.from({ length: 20 }, (_, i) => deriveEpochKeys(seeded(`secret ${i}`), g, i === 0 ? firstEpoch(g) : { number: i, opener: seeded(`opener ${i}`) }));
    const proofs = createSyncLinkProofs(many, dialler());
    assert.equal(proofs.length, SYNC_LINK_PROOFS_MAX);
    const hex = proofs.map(toHex);
    assert.deepEqual(hex, [...hex].sort());
    const candidates = many.map((k) => ({ linkKey: syncLinkKey(k), number: k.epoch.number }));
    assert.deepEqual(matchSyncLinkProofs(proofs, candidates, dialler()).map((c) => c.number), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(codeOf(() => createSyncLinkProofs([], dialler())), 'ERR_INVALID_FIELD');
  });
});
