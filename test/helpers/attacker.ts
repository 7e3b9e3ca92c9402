/**
 * A removed member as an attacker would be one: it keeps every key it ever had (the epoch
 * secrets of the invite it joined with, and every key package sealed to its profile X25519 key)
 * and trial-decrypts every blob a pub serves with all of them, following every re-key it can
 * open, until it learns nothing more. What it reads is exactly what a removed member can read.
 */
import { toHex } from '../../protocol/bytes.js';
import type { X25519KeyPair } from '../../protocol/crypto.js';
import { openBlob } from '../../protocol/blob.js';
import { consumeGroupEntry, entryId, type Entry } from '../../protocol/entry.js';
import { deriveEpochKeys, type EpochKeys } from '../../protocol/group.js';
import { consumeInvite, inviteGroupId } from '../../protocol/invite.js';
import { isProtocolError } from '../../protocol/errors.js';
import { openRekey } from '../../protocol/rekey.js';

export interface AttackerKeys {
  readonly groupId: Uint8Array;
  /** Its identity key and profile X25519 key pair (what key packages are sealed to). */
  readonly identityKey: Uint8Array;
  readonly dh: X25519KeyPair;
  /** Every epoch whose secret it holds. */
  readonly epochs: EpochKeys[];
}

/** The keys an invite string gives (its epoch and any history). */
export function keysFromInvite(text: string, me: { identityKey: Uint8Array; dh: X25519KeyPair }): AttackerKeys {
  const invite = consumeInvite(text, { development: true });
  const groupId = inviteGroupId(invite);
  const epochs = [...invite.history, invite.current].map((e) => deriveEpochKeys(e.secret, groupId, e.epoch));
  return { groupId, identityKey: me.identityKey, dh: me.dh, epochs };
}

export interface WhatItReads {
  /** Every entry it could open and verify, by id. */
  readonly entries: Map<string, Entry>;
  /** The epochs it ended up holding (hex openers). */
  readonly epochs: string[];
}

/** Trial-decrypts `blobs` with every key it has, learning new epochs from re-keys sealed to it. */
export function readAsAttacker(blobs: Iterable<Uint8Array>, keys: AttackerKeys): WhatItReads {
  const all = [...blobs];
  const epochs = new Map(keys.epochs.map((k) => [toHex(k.epoch.opener), k]));
  const entries = new Map<string, Entry>();
  let learned = true;
  while (learned) {
    learned = false;
    for (const blob of all) {
      for (const k of epochs.values()) {
        const bytes = openBlob(k, blob);
        if (bytes === null) continue;
        let entry: Entry;
        try {
          entry = consumeGroupEntry(k, bytes);
        } catch (err) {
          if (isProtocolError(err)) continue;
          throw err;
        }
        const id = entryId(bytes);
        entries.set(toHex(id), entry);
        if (entry.content.kind === 'remove' && !epochs.has(toHex(id))) {
          try {
            const next = openRekey(entry, id, keys.groupId, { identityKey: keys.identityKey, dh: keys.dh });
            epochs.set(toHex(id), next);
            learned = true;
          } catch (err) {
            if (!isProtocolError(err)) throw err;
          }
        }
      }
    }
  }
  return { entries, epochs: [...epochs.keys()] };
}

/** The texts (text, reply, edit) among what it reads. */
export function textsRead(r: WhatItReads): string[] {
  const out: string[] = [];
  for (const e of r.entries.values()) {
    const c = e.content;
    if (c.kind === 'text' || c.kind === 'reply' || c.kind === 'edit') out.push(c.text);
  }
  return out.sort();
}
