/**
 * JSON shapes of the group-format vectors (test/vectors/{summary,checkpoint,key-package,
 * invite,roster}.json), written by test/vectors/generate-groups.ts and read by the tests
 * of protocol/{summary,checkpoint,key-package,invite,roster}.ts. Bytes are lowercase hex.
 */

export interface SummaryEntryJson {
  author: string;
  seq: number;
  prev: string;
  id: string;
}

export interface SummaryRecordJson {
  author: string;
  seq: number;
  id: string;
}

export interface SeqRangeJson {
  author: string;
  from: number;
  to: number;
}

export interface SummaryVector {
  description: string;
  groupId: string;
  /** The held entries, in the order given to computeSummary. */
  entries: SummaryEntryJson[];
  records: SummaryRecordJson[];
  encoding: string;
}

export interface SummaryDiffVector {
  description: string;
  mine: string;
  theirs: string;
  iMiss: SeqRangeJson[];
  theyMiss: SeqRangeJson[];
  forked: string[];
}

export interface SummaryVectors {
  description: string;
  summaries: SummaryVector[];
  diffs: SummaryDiffVector[];
}

export interface MemberJson {
  identityKey: string;
  role: 'admin' | 'member';
}

export interface CheckpointVector {
  description: string;
  groupId: string;
  epoch: number;
  previous: { number: number; opener: string };
  /** In the checkpoint's (sorted) order. */
  members: MemberJson[];
  signerSeed: string;
  signer: string;
  /** u8 len || "snug/v2/checkpoint" || the bytes before the signature: what the signer signs. */
  signedMessage: string;
  signature: string;
  encoding: string;
}

export interface KeyPackageRecipientJson {
  identityKey: string;
  role: 'admin' | 'member';
  /** Seed of the member's X25519 key pair (crypto_box_seed_keypair). */
  dhSeed: string;
  dhKey: string;
}

export interface KeyPackageVector {
  description: string;
  groupId: string;
  epoch: number;
  previous: { number: number; opener: string };
  /** In the checkpoint's (sorted) order: slot i is sealed to recipients[i]. */
  recipients: KeyPackageRecipientJson[];
  signerSeed: string;
  secret: string;
  commitment: string;
  checkpoint: string;
  /** Sealed boxes are randomised; these are the ones the committed encoding holds. */
  slots: string[];
  signedMessage: string;
  signature: string;
  encoding: string;
  size: number;
}

export interface EpochSecretJson {
  number: number;
  opener: string;
  secret: string;
}

export interface InviteVector {
  description: string;
  /** Decoding needs { development: true }. */
  development: boolean;
  inviteEntry: string;
  genesis: string;
  groupId: string;
  /** Encoded checkpoint, or null. */
  checkpoint: string | null;
  current: EpochSecretJson;
  history: EpochSecretJson[];
  /** Version 3: the encoded certificate of each checkpoint member, in its order. */
  certificates?: string[];
  name: string;
  pubs: string[];
  bytes: string;
  text: string;
}

export interface RosterVector {
  description: string;
  groupId: string;
  /** Every epoch of the log with its secret, to verify the entries with. */
  epochs: EpochSecretJson[];
  /** Encoded entries v2, in the order they were made. */
  entries: string[];
  expected: {
    name: string;
    pubs: string[];
    membersMayInvite: boolean;
    epoch: { number: number; opener: string };
    members: MemberJson[];
    applied: string[];
    ignored: { id: string; reason: string }[];
    pending: string[];
  };
}

/** A roster computed from a base (docs/groups.md, "Roster from a base"). */
export interface RosterBaseVector {
  description: string;
  groupId: string;
  /** The version 3 invite text whose checkpoint and certificates are the base. */
  invite: string;
  epochs: EpochSecretJson[];
  /** Encoded entries v2 the member holds, in the order they were made. */
  entries: string[];
  expected: RosterVector['expected'];
}
