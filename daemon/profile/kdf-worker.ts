/**
 * The Argon2id worker (a worker_thread, one per derivation): so a derivation with its 256 MiB
 * does not block the daemon's event loop, and its memory is released when the worker ends.
 * Receives the passphrase bytes by transfer (the sender's copy is detached), wipes them after
 * use, and transfers the derived key back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { argon2id, ready, wipe } from '../../protocol/crypto.js';

export interface KdfRequest {
  readonly passphrase: Uint8Array;
  readonly salt: Uint8Array;
  readonly opsLimit: number;
  readonly memLimit: number;
  readonly outLen: number;
}

export type KdfReply = { readonly ok: true; readonly key: Uint8Array } | { readonly ok: false; readonly message: string };

async function main(): Promise<void> {
  const req = workerData as KdfRequest;
  let reply: KdfReply;
  try {
    await ready();
    reply = { ok: true, key: argon2id(req.outLen, req.passphrase, req.salt, req.opsLimit, req.memLimit) };
  } catch (err) {
    reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    wipe(req.passphrase);
  }
  parentPort!.postMessage(reply, reply.ok ? [reply.key.buffer as ArrayBuffer] : []);
}

void main();
