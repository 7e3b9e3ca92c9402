/**
 * The benchmark entry point: `node dist/bench/run.js [group ...]` (after `npm run build`), or
 * `npm run bench` for every group. Prints figures; never asserts on them. See bench/README.md.
 *
 * Groups:
 *   pub         the pub over loopback: ingest, fan-out, catch-up (each beside a bare baseline), PoW cost
 *   pub-memory  pub RSS while holding SNUG_BENCH_MEMORY_BLOBS blobs (default 1,000,000), in a child process
 *   pub-tor     the pub through an onion service on a private Tor network, beside loopback
 *   profile     unlock at the default Argon2id cost, the encrypted store's and journal's synced writes
 *   tor         private network cold start, TorService start to reachable onion, onion round trip
 *               and bulk throughput, beside plain loopback
 *   api         the local API on its Unix socket (an in-process server, then a real snug daemon):
 *               status round trip and notifications per second, each beside a bare JSON socket,
 *               and `snug rpc` wall time
 *   pub-profile the pub's catch-up alone, to run under `node --cpu-prof` (see bench/README.md)
 *   peer        snug daemons over a private Tor network: handshake beside a bare onion connect,
 *               1:1 message round trip beside the raw onion round trip, unlock until every link
 *               is up (20 reachable, 20 unreachable contacts), the uniform stranger reply's timing
 *   membership  a re-key of a 1,000-member group (bytes, build, a member opening its key) and a
 *               10,000-entry log replayed into a roster
 *   groups      the groups service on a 100,000-entry log: unlock time and RSS, message/list of 50
 *               p50/p99, the receive pipeline's messages/s beside the ed25519 verify rate
 *   group-pubs  GroupPubs.post latency on a kept posting connection vs a fresh circuit per post
 *               (what the first post after a rotation pays), over loopback and an onion pub
 *   sync        the sync protocol in one process: bytes sent beside the missing blobs' bytes for
 *               10,000 entries differing by 1,000; notes for 1,000 authors with 10 changed
 *   sync-daemon two snug daemons syncing one group (10,000 entries, logs differing by 1,000) over the
 *               direct transport and a private Tor network: bytes on the link beside the missing
 *               blobs' bytes, time to converge beside a bare transfer of the same bytes
 *   tui         the terminal UI opening a 10,000-message conversation: first frame (in process and
 *               the real `snug tui` in tmux), keystroke to echo, the UI process's RSS
 */
import { heading, machineLine, note, nowMs } from './stats.js';

const GROUPS: Record<string, () => Promise<void>> = {
  pub: async () => (await import('./pub.js')).runPubBench(),
  'pub-tor': async () => (await import('./pub-tor.js')).runPubTorBench(),
  tor: async () => (await import('./tor.js')).runTorBench(),
  'pub-memory': async () => (await import('./pub-memory.js')).runPubMemoryBench(),
  profile: async () => (await import('./profile.js')).runProfileBench(),
  api: async () => (await import('./api.js')).runApiBenchAll(),
  peer: async () => (await import('./peer.js')).runPeerBench(),
  membership: async () => (await import('./membership.js')).runMembershipBench(),
  groups: async () => (await import('./groups.js')).runGroupsBench(),
  'group-chat': async () => (await import('./group-chat.js')).runGroupChatBench(),
  'group-pubs': async () => (await import('./group-pubs.js')).runGroupPubsBench(),
  'pub-profile': async () => (await import('./pub-profile.js')).runPubProfile(),
  sync: async () => (await import('./sync.js')).runSyncBench(),
  'sync-daemon': async () => (await import('./sync-daemon.js')).runSyncDaemonBench(),
  tui: async () => (await import('./tui.js')).runTuiBench(),
};
const ALL = ['pub', 'tor', 'pub-tor', 'pub-memory', 'api'];

async function main(argv: readonly string[]): Promise<number> {
  const asked = argv.length === 0 || argv.includes('all') ? ALL : [...argv];
  const unknown = asked.filter((g) => !(g in GROUPS));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown group ${unknown.join(', ')}; groups are: ${Object.keys(GROUPS).join(', ')}, all\n`);
    return 2;
  }
  process.stdout.write(`snug benchmarks: ${asked.join(', ')}\n${machineLine()}\n`);
  let failed = 0;
  for (const group of asked) {
    const t0 = nowMs();
    try {
      await GROUPS[group]!();
    } catch (err) {
      failed += 1;
      process.stdout.write(`\n  group ${group} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    note(`(${group}: ${((nowMs() - t0) / 1000).toFixed(1)} s; ${machineLine()})`);
  }
  heading('done');
  note(machineLine());
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
