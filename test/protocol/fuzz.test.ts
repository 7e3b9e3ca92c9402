/**
 * Property test of every protocol decoder: on random and mutated input each one either returns
 * a value that re-encodes to exactly the input, or fails with a ProtocolError. Anything else (a
 * RangeError, a TypeError, a value that re-encodes differently) fails the test, naming the
 * seed and the input so the case can be replayed. The PRNG is seeded, so runs are reproducible.
 */
import assert from 'node:assert/strict';
import { base32Decode, base32Encode } from '../../protocol/base32.js';
import { bytesEqual, ByteWriter, toHex } from '../../protocol/bytes.js';
import { ByteReader } from '../../protocol/bytes.js';
import { checkBlobShape, openBlob, sealBlob, sealBlobWithNonce } from '../../protocol/blob.js';
import { consumeCertificate, createCertificate, decodeCertificate, encodeCertificate, profileKeysFromSeeds, type Certificate } from '../../protocol/certificate.js';
import { BLOB_OVERHEAD_BYTES, BLOB_SIZE_LONG, BLOB_SIZE_STANDARD, BLOB_VERSION, ENTRY_HEADS_MAX, GROUP_PUBS_MAX, LABEL_INVITE_CHECKSUM } from '../../protocol/constants.js';
import { aeadEncrypt, blake2b, labelledHash, ready, sha3_256 } from '../../protocol/crypto.js';
import { consumeDirectEntry, createDirectEntry, decodeDirectEntry, deriveDirectKeys, encodeDirectEntry, type DirectContent, type DirectKeys } from '../../protocol/direct.js';
import { consumeGroupEntry, createEntry, createGenesis, decodeEntry, encodeEntry, sortKeys, type EntryContent } from '../../protocol/entry.js';
import { isProtocolError } from '../../protocol/errors.js';
import { decodeEpochName, deriveEpochKeys, encodeEpochName, type EpochKeys } from '../../protocol/group.js';
import { identityFromSeed, onionAddressFromPublicKey, publicKeyFromOnionAddress } from '../../protocol/identity.js';
import { readPubList, writePubList } from '../../protocol/pub-address.js';
import { decodeInvite, encodeInvite, encodeInviteBytes } from '../../protocol/invite.js';
import { pad } from '../../protocol/padding.js';
import { Prng } from '../helpers/pub-fixtures.js';

/** Inputs per decoder (at least 100,000 in total for each). */
const RUNS = 100_000;
const SEED = 0x5eed_0001;

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

interface Outcome {
  accepted: number;
  rejected: number;
}

/**
 * Runs `check` on `runs` generated inputs. `check` returns true when the input decoded (and
 * re-encoded identically) and throws for anything unexpected; a ProtocolError counts as a rejection.
 */
function property<T>(runs: number, generate: (i: number) => T, check: (input: T) => boolean, show: (input: T) => string): Outcome {
  const outcome: Outcome = { accepted: 0, rejected: 0 };
  for (let i = 0; i < runs; i++) {
    const input = generate(i);
    let ok: boolean;
    try {
      ok = check(input);
    } catch (err) {
      if (isProtocolError(err)) {
        outcome.rejected++;
        continue;
      }
      assert.fail(`run ${i} (seed ${SEED}) threw ${String(err)} for input ${show(input).slice(0, 400)}`);
    }
    assert.ok(ok, `run ${i} (seed ${SEED}): decoded value does not re-encode to the input ${show(input).slice(0, 400)}`);
    outcome.accepted++;
  }
  return outcome;
}

/** Interesting values for length and count fields. */
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x0f, 0x10, 0x11, 0x7f, 0x80, 0xfe, 0xff];

/** One random structural mutation of `input` (never returns the same array object). */
function mutateBytes(rng: Prng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  const out = input.slice();
  const n = out.length;
  switch (rng.int(10)) {
    case 0: // flip one bit
      if (n > 0) out[rng.int(n)]! ^= 1 << rng.int(8);
      return out;
    case 1: // set one byte to an edge value
      if (n > 0) out[rng.int(n)] = rng.pick(EDGE_BYTES);
      return out;
    case 2: // set one byte at random
      if (n > 0) out[rng.int(n)] = rng.int(256);
      return out;
    case 3: // truncate
      return out.subarray(0, rng.int(n + 1));
    case 4: // append random bytes
      return Uint8Array.of(...out, ...rng.bytes(1 + rng.int(8)));
    case 5: {
      // delete a run
      const at = rng.int(n + 1);
      const len = 1 + rng.int(8);
      return Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + len));
    }
    case 6: {
      // insert a run
      const at = rng.int(n + 1);
      return Uint8Array.of(...out.subarray(0, at), ...rng.bytes(1 + rng.int(8)), ...out.subarray(at));
    }
    case 7: {
      // overwrite a run with a copy from elsewhere in the input (e.g. duplicate a head)
      if (n < 2) return out;
      const len = 1 + rng.int(Math.min(64, n - 1));
      const from = rng.int(n - len + 1);
      const to = rng.int(n - len + 1);
      out.copyWithin(to, from, from + len);
      return out;
    }
    case 8: {
      // splice: head of this input, tail of another
      const other = rng.pick(donors);
      return Uint8Array.of(...out.subarray(0, rng.int(n + 1)), ...other.subarray(rng.int(other.length + 1)));
    }
    default: {
      // several byte changes at once
      for (let k = 0; k < 1 + rng.int(4) && n > 0; k++) out[rng.int(n)] = rng.int(256);
      return out;
    }
  }
}

/** Random, mostly-alphabet text mutations for the text forms. */
function mutateText(rng: Prng, input: string, extra: string): string {
  const chars = BASE32_ALPHABET + extra;
  const n = input.length;
  const at = rng.int(n + 1);
  switch (rng.int(6)) {
    case 0:
      return input.slice(0, at) + chars[rng.int(chars.length)] + input.slice(at + 1);
    case 1:
      return input.slice(0, at);
    case 2:
      return input.slice(0, at) + input.slice(at + 1 + rng.int(4));
    case 3:
      return input.slice(0, at) + chars[rng.int(chars.length)] + input.slice(at);
    case 4: // an arbitrary code unit, including lone surrogates and NUL
      return input.slice(0, at) + String.fromCharCode(rng.int(0x10000)) + input.slice(at + 1);
    default:
      return input.toUpperCase();
  }
}

function randomBase32(rng: Prng, maxLen: number): string {
  let s = '';
  const len = rng.int(maxLen + 1);
  for (let i = 0; i < len; i++) s += BASE32_ALPHABET[rng.int(32)];
  return s;
}

describe('protocol decoders under random and mutated input', function () {
  this.timeout(300_000);
  before(ready);

  const h = (n: number) => blake2b(32, Uint8Array.of(n & 0xff, n >> 8));
  let keys: EpochKeys;
  let genesisKeys: EpochKeys;
  let entries: Uint8Array[];
  let certificates: Uint8Array[];
  let direct: DirectKeys;
  let directEntries: Uint8Array[];
  before(() => {
    const people = [1, 2, 3].map((i) => {
      const identity = identityFromSeed(h(i));
      const profile = profileKeysFromSeeds(h(10 + i), h(20 + i));
      const cert: Certificate = createCertificate(identity, { signingKey: profile.signing.publicKey, dhKey: profile.dh.publicKey }, 1_700_000_000_000 + i);
      return { identity, profile, cert };
    });
    const [alice, bob, carol] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
    certificates = people.map((p) => encodeCertificate(p.cert));
    const genesis = createGenesis(alice.profile.signing, {
      certificate: alice.cert,
      timestamp: 1_700_000_000_000,
      settings: { name: 'fuzz 🍺', pubs: [identityFromSeed(h(40)).address, 'ws://127.0.0.1:8080'], membersMayInvite: true },
      admins: [bob.identity.publicKey],
      salt: h(41),
    });
    genesisKeys = deriveEpochKeys(h(42), genesis.groupId, genesis.epoch);
    keys = genesisKeys;
    const target = h(3);
    const heads = Array.from({ length: ENTRY_HEADS_MAX }, (_, i) => h(100 + i));
    const contents: EntryContent[] = [
      { kind: 'text', text: 'hello' },
      { kind: 'text', text: 'grüße 😀 \ufeff' },
      { kind: 'reply', target, text: 'ok' },
      { kind: 'reaction', target, reaction: '👍' },
      { kind: 'reaction', target, reaction: '' },
      { kind: 'edit', target, text: 'fixed' },
      { kind: 'delete', target },
      { kind: 'invite', inviteId: h(5).subarray(0, 16), includesHistory: true, expires: 1_800_000_000_000, uses: 3 },
      { kind: 'join', invite: target, certificate: carol.cert },
      { kind: 'add', certificate: bob.cert },
      { kind: 'remove', removed: sortKeys([bob.identity.publicKey, carol.identity.publicKey]), keyPackage: h(6) },
      { kind: 'leave' },
      { kind: 'role', member: bob.identity.publicKey, role: 'admin' },
      { kind: 'pubs', pubs: [identityFromSeed(h(43)).address, 'ws://127.0.0.1:1'] },
      { kind: 'hide', target },
    ];
    entries = [
      genesis.encoding,
      ...contents.map((content, i) =>
        encodeEntry(
          createEntry(keys, content.kind === 'join' ? carol.profile.signing : alice.profile.signing, {
            seq: content.kind === 'join' ? 1 : i + 2,
            prev: content.kind === 'join' ? undefined : target,
            timestamp: 1_700_000_000_000 + i,
            heads: heads.slice(0, i % 6 === 0 ? ENTRY_HEADS_MAX : i),
            content,
          }),
        ),
      ),
    ];
    direct = deriveDirectKeys({ identityKey: alice.identity.publicKey, dh: alice.profile.dh }, { identityKey: bob.identity.publicKey, dhKey: bob.profile.dh.publicKey });
    const directContents: DirectContent[] = [
      { kind: 'text', text: 'psst' },
      { kind: 'reply', target, text: 'ja 👋' },
      { kind: 'reaction', target, reaction: '❤️' },
      { kind: 'edit', target, text: 'x' },
      { kind: 'delete', target },
    ];
    directEntries = directContents.map((content, i) =>
      encodeDirectEntry(
        createDirectEntry(direct, i % 2 === 0 ? alice.identity.publicKey : bob.identity.publicKey, {
          seq: i + 1,
          prev: i === 0 ? undefined : target,
          timestamp: 1_700_000_000_000 + i,
          heads: heads.slice(0, i * 4),
          content,
        }),
      ),
    );
  });

  /** Mutated inputs of one family: mostly one to three mutations of a valid input, some noise. */
  function mutated(rng: Prng, seeds: readonly Uint8Array[], i: number, noiseMax: number): Uint8Array {
    if (i % 20 === 0) return rng.bytes(rng.int(noiseMax)); // pure noise
    let input = rng.pick(seeds);
    const rounds = 1 + rng.int(3);
    for (let k = 0; k < rounds; k++) input = mutateBytes(rng, input, seeds);
    return input;
  }

  it('decodes group entries of every kind to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED);
    let verified = 0;
    const out = property(
      RUNS,
      (i) => mutated(rng, entries, i, 800),
      (input) => {
        const entry = decodeEntry(input);
        if (verified < 2000 && rng.chance(0.05)) {
          // A sample through the full path: signature checks are ~5k/s, so only some.
          verified++;
          try {
            consumeGroupEntry(keys, input);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return bytesEqual(encodeEntry(entry), input);
      },
      toHex,
    );
    assert.ok(out.accepted > 100, `too few mutated entries decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes 1:1 entries to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 10);
    const out = property(
      RUNS,
      (i) => mutated(rng, directEntries, i, 600),
      (input) => {
        const entry = decodeDirectEntry(input);
        if (rng.chance(0.05)) {
          try {
            consumeDirectEntry(direct, input);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return bytesEqual(encodeDirectEntry(entry), input);
      },
      toHex,
    );
    assert.ok(out.accepted > 100, `too few mutated direct entries decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes certificates to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 11);
    let verified = 0;
    const out = property(
      RUNS,
      (i) => mutated(rng, certificates, i, 200),
      (input) => {
        const cert = decodeCertificate(input);
        if (verified < 2000 && rng.chance(0.05)) {
          verified++;
          try {
            consumeCertificate(input);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
        return bytesEqual(encodeCertificate(cert), input);
      },
      toHex,
    );
    assert.ok(out.accepted > 100, `too few mutated certificates decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes epoch names and pub lists to values that re-encode identically, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 12);
    const names = [encodeEpochName({ number: 0, opener: h(1) }), encodeEpochName({ number: 0xffff_ffff, opener: h(2) })];
    const w = new ByteWriter();
    writePubList(w, [identityFromSeed(h(44)).address, 'ws://127.0.0.1:443', identityFromSeed(h(45)).address], GROUP_PUBS_MAX);
    const lists = [w.finish(), Uint8Array.of(0), Uint8Array.of(1, 2, 0, 80)];
    const out = property(
      RUNS,
      (i) => (i % 2 === 0 ? { name: true, bytes: mutated(rng, names, i, 40) } : { name: false, bytes: mutated(rng, lists, i, 120) }),
      ({ name, bytes }) => {
        if (name) return bytesEqual(encodeEpochName(decodeEpochName(bytes)), bytes);
        const r = new ByteReader(bytes);
        const pubs = readPubList(r, GROUP_PUBS_MAX);
        r.end('pub list');
        const again = new ByteWriter();
        writePubList(again, pubs, GROUP_PUBS_MAX);
        return bytesEqual(again.finish(), bytes);
      },
      ({ bytes }) => toHex(bytes),
    );
    assert.ok(out.accepted > 1000, `too few decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 4);
  });

  it('opens blobs to entries that re-seal identically, or returns null, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 1);
    const sealed = entries.map((e) => sealBlob(keys, e));
    /** Authentic blobs around a mutated padded plaintext: what only a (buggy) member could send. */
    function authentic(): Uint8Array {
      const size = rng.chance(0.9) ? BLOB_SIZE_STANDARD : BLOB_SIZE_LONG;
      const entry = rng.pick(entries);
      let padded = pad(entry, size - BLOB_OVERHEAD_BYTES);
      if (rng.chance(0.8)) {
        padded = mutateBytes(rng, padded, [padded]).slice(0, size - BLOB_OVERHEAD_BYTES);
        if (padded.length < size - BLOB_OVERHEAD_BYTES) {
          const full = new Uint8Array(size - BLOB_OVERHEAD_BYTES);
          full.set(padded);
          padded = full;
        }
      }
      const nonce = rng.bytes(24);
      return Uint8Array.of(BLOB_VERSION, ...nonce, ...aeadEncrypt(padded, Uint8Array.of(BLOB_VERSION), nonce, keys.blobKey));
    }
    let opened = 0;
    const out = property(
      RUNS,
      (i) => {
        const r = i % 10;
        if (r === 0) return rng.bytes(rng.int(6000)); // wrong lengths, almost always
        if (r === 1) return authentic();
        if (r === 2) return sealBlob(keys, rng.pick(entries));
        const blob = rng.pick(sealed).slice();
        // keep the length (so the AEAD runs) and change a few bytes
        for (let k = 0; k < 1 + rng.int(3); k++) blob[rng.int(blob.length)]! ^= 1 + rng.int(255);
        return blob;
      },
      (blob) => {
        const entry = openBlob(keys, blob);
        if (entry === null) {
          checkBlobShape(blob); // null only for a well-shaped blob
          return true;
        }
        opened++;
        const nonce = blob.subarray(1, 25);
        return bytesEqual(sealBlobWithNonce(keys, entry, nonce), blob);
      },
      (b) => `${b.length} bytes ${toHex(b.subarray(0, 64))}...`,
    );
    assert.ok(opened > RUNS / 10, `too few blobs opened (${opened})`);
    assert.ok(out.rejected > 1000);
    assert.ok(genesisKeys.epoch.number === 0);
  });

  it('decodes invites to values that re-encode to the same text, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 2);
    const pubs = [0, 1, 2].map((i) => identityFromSeed(blake2b(32, Uint8Array.of(50 + i))).address);
    const valid = [
      { secret: blake2b(32, Uint8Array.of(9)), name: 'the snug', pubs },
      { secret: blake2b(32, Uint8Array.of(10)), name: 'dev 🍺', pubs: ['ws://127.0.0.1:8080'] },
      { secret: blake2b(32, Uint8Array.of(11)), name: 'n', pubs: [] },
    ];
    const texts = valid.map(encodeInvite);
    const binaries = valid.map(encodeInviteBytes);
    /** A mutated binary invite with a correct checksum, so the field checks are reached. */
    function rechecksummed(): string {
      const bin = rng.pick(binaries);
      const body = mutateBytes(rng, bin.subarray(0, bin.length - 4), binaries);
      const w = new ByteWriter().raw(body).raw(labelledHash(LABEL_INVITE_CHECKSUM, [body]).subarray(0, 4));
      return 'snug1' + base32Encode(w.finish());
    }
    const out = property(
      RUNS,
      (i) => {
        const r = i % 4;
        if (r === 0) return rechecksummed();
        if (r === 1) return 'snug1' + randomBase32(rng, 200);
        let t = rng.pick(texts);
        for (let k = 0; k < 1 + rng.int(2); k++) t = mutateText(rng, t, 'snug1 :/.-_=');
        return t;
      },
      (text) => encodeInvite(decodeInvite(text)) === text,
      (t) => JSON.stringify(t),
    );
    assert.ok(out.accepted > 1000, `too few invites decoded (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('parses onion addresses to keys that give back the same address, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 3);
    const addresses = [0, 1, 2, 3].map((i) => identityFromSeed(blake2b(32, Uint8Array.of(70 + i))).address as string);
    /** A well-formed address of random 32 bytes with the right checksum: exercises the key check. */
    function rechecksummed(): string {
      const key = rng.bytes(32);
      const sum = sha3_256(Uint8Array.of(...new TextEncoder().encode('.onion checksum'), ...key, 3)).subarray(0, 2);
      return base32Encode(Uint8Array.of(...key, ...sum, 3)) + (rng.chance(0.5) ? '.onion' : '');
    }
    const out = property(
      RUNS,
      (i) => {
        const r = i % 5;
        if (r === 0) return rechecksummed();
        if (r === 1) return randomBase32(rng, 60) + (rng.chance(0.5) ? '.onion' : '');
        let a = rng.pick(addresses);
        if (rng.chance(0.2)) a = a.slice(0, 56);
        for (let k = 0; k < 1 + rng.int(2); k++) a = mutateText(rng, a, '.onion');
        return a;
      },
      (address) => {
        const canonical = address.endsWith('.onion') ? address : address + '.onion';
        return onionAddressFromPublicKey(publicKeyFromOnionAddress(address)) === canonical;
      },
      (a) => JSON.stringify(a),
    );
    assert.ok(out.accepted > 1000, `too few addresses parsed (${out.accepted})`);
    assert.ok(out.rejected > RUNS / 2);
  });

  it('decodes base32 to bytes that encode to the same text, or fails with a ProtocolError', () => {
    const rng = new Prng(SEED + 4);
    const out = property(
      RUNS,
      (i) => {
        if (i % 2 === 0) return randomBase32(rng, 40);
        return mutateText(rng, base32Encode(rng.bytes(rng.int(30))), '=1890 ');
      },
      (text) => base32Encode(base32Decode(text)) === text,
      (t) => JSON.stringify(t),
    );
    assert.ok(out.accepted > 10_000);
    assert.ok(out.rejected > 10_000);
  });
});
