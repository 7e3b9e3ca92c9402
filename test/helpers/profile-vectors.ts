/** JSON shapes of test/vectors/profile-header.json and profile-record.json (hex for bytes). */

export interface ProfileHeaderVectors {
  readonly description: string;
  readonly passphrase: string;
  readonly wrongPassphrase: string;
  readonly opsLimit: number;
  readonly memLimit: number;
  readonly salt: string;
  readonly nonce: string;
  readonly dataKey: string;
  readonly kek: string;
  readonly header: string;
  readonly storeKeys: { readonly seal: string; readonly namespace: string; readonly id: string };
}

export interface RecordVector {
  readonly description: string;
  readonly namespace: string;
  readonly id: string;
  readonly value: string;
  readonly nonce: string;
  readonly namespaceTag: string;
  readonly storageKey: string;
  readonly sealed: string;
}

export interface ProfileRecordVectors {
  readonly description: string;
  readonly dataKey: string;
  readonly records: RecordVector[];
  readonly profile: {
    readonly created: number;
    readonly identitySeed: string;
    readonly signingSeed: string;
    readonly dhSecretKey: string;
    readonly certificate: string;
    readonly name: string;
    readonly address: string;
    readonly encoding: string;
  };
}
