/**
 * The terminal UI (bench/README.md, "tui"): a real `snug daemon` (development mode: direct
 * transport, low KDF cost) and a real `snug pub --listen`, a group on that pub holding
 * SNUG_BENCH_TUI_MESSAGES (default 10,000) messages, then the UI opening that conversation. (A
 * group, not a 1:1 conversation: 1:1 sends slow down as the conversation grows, ~30 ms each at
 * 200 messages and ~38 ms at 600 on this machine, where group sends stay at ~7.5 ms; filling
 * 10,000 1:1 messages took longer than the bench should.)
 * - time to first frame: from render() of the App (in this process, ink-testing-library's
 *   terminal) to the first frame that shows the newest message; and for the real `snug tui`
 *   process in tmux, from spawning it to capture-pane showing the newest message (node's own
 *   start-up and module loading included), beside `node -e ''` started the same way;
 * - keystroke to echo: a key written to the UI's stdin until a frame shows it (in process);
 * - the RSS of the `snug tui` process with that conversation open.
 * Target (issue 15): first frame under 300 ms.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { App } from '../tui/app/app.js';
import { DaemonLink } from '../tui/link/daemon-link.js';
import { peerArgs, startPeer } from '../test/helpers/contacts.js';
import { spawnTestPub } from '../test/helpers/pub-fixtures.js';
import { SNUG_BIN, callOnce } from '../test/helpers/daemon.js';
import { makeTempDir, removeDir } from '../test/helpers/temp.js';
import { startTmux, tmuxAvailable } from '../test/helpers/tmux.js';
import { figure, fmt, heading, median, note, nowMs, quantile, runPool, sleep } from './stats.js';

const MESSAGES = Number(process.env['SNUG_BENCH_TUI_MESSAGES'] ?? 10_000);
const OPENS = Number(process.env['SNUG_BENCH_TUI_OPENS'] ?? 5);
const KEYSTROKES = Number(process.env['SNUG_BENCH_TUI_KEYS'] ?? 300);
const PROCESS_RUNS = Number(process.env['SNUG_BENCH_TUI_PROCESS_RUNS'] ?? 3);
const run = promisify(execFile);

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The pid of the `snug tui` process whose arguments name `home`. */
function tuiPid(home: string): number | null {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  // the node process itself, not the shell tmux runs it in
  const line = out.split('\n').find((l) => / tui /.test(l) && l.includes(home) && /^\s*\d+\s+\S*node\s/.test(l));
  return line ? Number(line.trim().split(/\s+/)[0]) : null;
}

export async function runTuiBench(): Promise<void> {
  heading(`tui: opening a conversation of ${MESSAGES.toLocaleString('en')} messages`);
  const dir = await makeTempDir('bench-tui');
  const [alice, pub] = await Promise.all([startPeer(dir, 'alice', peerArgs(join(dir, 'peers'))), spawnTestPub(join(dir, 'pub'))]);
  try {
    const t0 = nowMs();
    const newest = `bench message ${MESSAGES - 1}`;
    await callOnce(alice.daemon, async (c) => {
      const { groupId } = await c.call('group/create', { name: 'bench', pubs: [pub.address] });
      await runPool(MESSAGES - 1, 8, async (i) => {
        await c.call('message/send', { groupId, text: `bench message ${i} ${'lorem ipsum '.repeat(i % 7)}` });
      });
      await c.call('message/send', { groupId, text: newest });
    });
    note(`(${MESSAGES} group messages written in ${fmt((nowMs() - t0) / 1000)} s)`);

    // in process: render() to the first frame showing the newest message
    const opens: number[] = [];
    let keys: number[] = [];
    for (let n = 0; n < OPENS; n++) {
      const link = new DaemonLink({ socketPath: alice.daemon.socketPath });
      const start = nowMs();
      const r = render(createElement(App, { link, home: alice.home, size: { rows: 40, columns: 120 } }));
      while (!(r.lastFrame() ?? '').includes(newest)) await sleep(1);
      opens.push(nowMs() - start);
      if (n === OPENS - 1) {
        // keystroke to echo: one key at a time, each waited for
        const samples: number[] = [];
        for (let k = 0; k < KEYSTROKES; k++) {
          const ch = String.fromCharCode(97 + (k % 26));
          const before = (r.lastFrame() ?? '').split('\n').find((l) => l.startsWith('> ')) ?? '';
          const t = nowMs();
          r.stdin.write(ch);
          for (;;) {
            const line = (r.lastFrame() ?? '').split('\n').find((l) => l.startsWith('> ')) ?? '';
            if (line !== before) break;
            await new Promise((res) => setImmediate(res));
          }
          samples.push(nowMs() - t);
          if (k % 60 === 59) r.stdin.write('\u0015'); // Ctrl+U: keep the line short, as typing does
          await sleep(2);
        }
        keys = samples;
      }
      r.unmount();
      await link.stop();
    }
    figure('first frame, in process (median)', fmt(median(opens)), 'ms', `of ${OPENS} opens; min ${fmt(Math.min(...opens))}, max ${fmt(Math.max(...opens))}; target < 300 ms`);
    figure('keystroke to echo, in process (p50)', fmt(quantile(keys, 0.5), 2), 'ms', `p95 ${fmt(quantile(keys, 0.95), 2)} ms, p99 ${fmt(quantile(keys, 0.99), 2)} ms, over ${keys.length} keys`);

    if (!(await tmuxAvailable())) {
      note('tmux is not installed: the process figures are skipped');
      return;
    }
    // the real process in a terminal: spawn to the newest message on screen
    const nodeRuns: number[] = [];
    const tuiRuns: number[] = [];
    let rss = NaN;
    for (let n = 0; n < PROCESS_RUNS; n++) {
      const t = nowMs();
      await run(process.execPath, ['-e', '']);
      nodeRuns.push(nowMs() - t);
      const start = nowMs();
      const tty = await startTmux(`node ${SNUG_BIN} tui --home ${alice.home}`, { cols: 120, rows: 40 });
      try {
        await tty.waitFor((s) => s.includes(newest), 'the newest message', 30_000, 5);
        tuiRuns.push(nowMs() - start);
        await sleep(500);
        const pid = tuiPid(alice.home);
        if (pid !== null) rss = rssKiB(pid);
      } finally {
        await tty.kill();
      }
    }
    figure('first frame, snug tui process in tmux (median)', fmt(median(tuiRuns)), 'ms', `of ${PROCESS_RUNS}; spawn to the newest message on screen, capture-pane polled every 5 ms`);
    figure('node -e "" (baseline)', fmt(median(nodeRuns)), 'ms', 'a bare node start and exit');
    figure('snug tui RSS', fmt(rss / 1024), 'MiB', `with the ${MESSAGES}-message conversation open (its newest ${100} items held)`);
  } finally {
    await Promise.all([alice.daemon.kill(), pub.kill()]);
    await removeDir(dir);
  }
}
