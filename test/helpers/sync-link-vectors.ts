/** The shape of test/vectors/sync-link.json (test/vectors/generate-sync-link.ts writes it). */
export interface SyncLinkVectors {
  readonly groupId: string;
  readonly handshakeHash: string;
  /** Identity keys of the two sides. */
  readonly dialler: string;
  readonly listener: string;
  readonly epochs: ReadonlyArray<{
    readonly number: number;
    readonly opener: string;
    readonly secret: string;
    readonly linkKey: string;
    /** The dialler's proof (prover dialler, verifier listener) and the listener's. */
    readonly diallerProof: string;
    readonly listenerProof: string;
  }>;
  /** SYNC_LINK with the dialler's proofs of both epochs; the listener's answer for epoch 0. */
  readonly diallerFrame: string;
  readonly listenerFrame: string;
  readonly invalid: ReadonlyArray<{ readonly description: string; readonly encoding: string; readonly code: string }>;
}
