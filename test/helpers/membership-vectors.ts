/** The JSON shape of test/vectors/membership.json (written by test/vectors/generate-membership.ts). */

export interface RaceSnapshotJson {
  description: string;
  /** How many of the race's entries (a prefix) this snapshot computes the roster of. */
  entries: number;
  expected: {
    epoch: { number: number; opener: string };
    /** By the people's names, ascending by identity key. */
    members: { name: string; role: 'admin' | 'member' }[];
    superseded: string[];
    exposed: string[];
    lockedOut: string[];
    ignored: { id: string; reason: string }[];
    duty: { trigger: string; ranked: string[] } | null;
  };
}

export interface RaceVector {
  description: string;
  groupId: string;
  /** Every epoch of the log with its secret, to verify the entries with. */
  epochs: { number: number; opener: string; secret: string }[];
  /** Everyone in the log, with the X25519 key pair to open key packages with. */
  people: { name: string; identityKey: string; dhSecretKey: string; dhPublicKey: string }[];
  /** Encoded entries v2, in the order they were made. */
  entries: string[];
  snapshots: RaceSnapshotJson[];
}

export interface DutyVector {
  description: string;
  groupId: string;
  epoch: { number: number; opener: string };
  exposed: string[];
  lockedOut: string[];
  admins: string[];
  trigger: string;
  ranked: string[];
}

export interface MembershipVectors {
  description: string;
  races: RaceVector[];
  duty: DutyVector[];
}
