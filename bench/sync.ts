/**
 * The sync protocol's cost (issue 13): two members whose logs of one group hold 10,000 entries
 * from 10 authors and differ by 1,000; the bytes both sides send during sync beside the bytes of
 * the missing blobs (target: at most 1.1x), and the notes' size for 1,000 authors of whom 10
 * changed. Real signed entries in real blobs; every frame goes through the real peer-frame
 * codec (protocol/peer/wire.ts) and every blob is verified on arrival. This group runs the
 * protocol in one process (test/helpers/sync-log.ts runSync): it measures bytes and CPU, not a
 * network; the daemon over a transport is not measured here yet (see bench/README.md).
 */
import { ready } from '../protocol/crypto.js';
import { encodeFrame } from '../protocol/peer/wire.js';
import { createSummary, type SummaryRecord } from '../protocol/summary.js';
import { newPeerSyncState, takeNotes, type PeerSyncState } from '../protocol/sync/notes.js';
import { syncFrames } from '../protocol/sync/frames.js';
import { BackfillPlanner } from '../protocol/sync/backfill.js';
import { author, MemoryLog, runSync, seeded, SyncLog } from '../test/helpers/sync-log.js';
import { figure, fmt, heading, note, nowMs } from './stats.js';

/** Noise's tag on each encrypted frame (docs/peer-protocol.md "Sizes"). */
const CIPHER_TAG_BYTES = 16;

export async function runSyncBench(): Promise<void> {
  await ready();
  heading('sync: 10,000 entries of 10 authors, logs differing by 1,000');
  const t0 = nowMs();
  const log = new SyncLog('bench');
  const people = Array.from({ length: 10 }, (_, i) => author(`bench author ${i}`));
  const all = log.many(people, 1000);
  note(`made and signed ${all.length} entries in ${fmt((nowMs() - t0) / 1000)} s`);
  // The last 100 entries of authors 0-4 only A holds, those of authors 5-9 only B.
  const onlyA = new Set<number>();
  const onlyB = new Set<number>();
  all.forEach((e, i) => {
    const who = i % 10;
    const round = Math.floor(i / 10);
    if (round >= 900) (who < 5 ? onlyA : onlyB).add(i);
  });
  const a = new MemoryLog(log.groupId, log.keys);
  const b = new MemoryLog(log.groupId, log.keys);
  a.add(log.genesis);
  b.add(log.genesis);
  all.forEach((e, i) => {
    if (!onlyB.has(i)) a.add(e);
    if (!onlyA.has(i)) b.add(e);
  });
  let missingBytes = 0;
  for (const i of [...onlyA, ...onlyB]) missingBytes += all[i]!.blob.length;

  for (const meeting of ['first meeting (full notes)', 'meeting again (request skipping)'] as const) {
    const aa = clone(a, log);
    const bb = clone(b, log);
    let states: [PeerSyncState, PeerSyncState] | undefined;
    if (meeting !== 'first meeting (full notes)') {
      // They met when both held the common 9,000; since then each gained its own 500.
      const ca = clone(a, log, (i) => !onlyA.has(i) && !onlyB.has(i), all);
      const cb = clone(b, log, (i) => !onlyA.has(i) && !onlyB.has(i), all);
      states = [newPeerSyncState(log.groupId), newPeerSyncState(log.groupId)];
      runSync(ca, cb, { states });
    }
    const t = nowMs();
    const run = runSync(aa, bb, { ...(states !== undefined ? { states } : {}), planners: [new BackfillPlanner(), new BackfillPlanner()] });
    const ms = nowMs() - t;
    const identical = aa.ids().join() === bb.ids().join();
    const frames = run.framesAtoB + run.framesBtoA;
    const sent = run.bytesAtoB + run.bytesBtoA;
    const sealed = sent + frames * CIPHER_TAG_BYTES;
    note(`${meeting}: logs identical after sync: ${identical}; ${frames} frames`);
    figure('  missing blobs', missingBytes, 'bytes', '(1,000 blobs)');
    figure('  sent by both sides (frames)', sent, 'bytes', `(A->B ${run.bytesAtoB}, B->A ${run.bytesBtoA})`);
    figure('  sent, with the cipher tag per frame', sealed, 'bytes', `ratio ${fmt(sealed / missingBytes, 3)}x (target <= 1.1x)`);
    figure('  of which notes', run.notesBytes, 'bytes');
    figure('  time to converge in one process', fmt(ms, 0), 'ms', '(decode, verify 1,000 signatures, store in memory; no network)');
  }

  heading('sync: notes for 1,000 authors, 10 changed');
  const records: SummaryRecord[] = Array.from({ length: 1000 }, (_, i) => ({ author: seeded(`notes author ${i}`), seq: 50, id: seeded(`notes id ${i}`) }));
  const state = newPeerSyncState(log.groupId);
  const full = takeNotes(state, createSummary(log.groupId, records));
  const fullBytes = syncFrames({ type: 'sync-notes', notes: full }).reduce((n, f) => n + encodeFrame(f).length, 0);
  const changed = records.map((r, i) => (i % 100 === 0 ? { ...r, seq: 51, id: seeded(`notes id ${i} next`) } : r));
  const delta = takeNotes(state, createSummary(log.groupId, changed));
  const deltaBytes = encodeFrame({ type: 'sync-notes', notes: delta }).length;
  const none = takeNotes(state, createSummary(log.groupId, changed));
  figure('full notes (first meeting)', fullBytes, 'bytes', '(1,000 records of 72 bytes, in two parts)');
  figure('notes with 10 changed authors', deltaBytes, 'bytes', `(${delta.records.length} records; 70 bytes of header)`);
  figure('notes with nothing changed', encodeFrame({ type: 'sync-notes', notes: none }).length, 'bytes');
}

function clone(from: MemoryLog, log: SyncLog, keep?: (i: number) => boolean, all?: readonly ReturnType<SyncLog['post']>[]): MemoryLog {
  const m = new MemoryLog(log.groupId, log.keys);
  m.add(log.genesis);
  if (keep !== undefined && all !== undefined) {
    all.forEach((e, i) => {
      if (keep(i)) m.add(e);
    });
    return m;
  }
  for (const e of from.entries.values()) m.add(e);
  return m;
}
