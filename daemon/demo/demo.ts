/**
 * `snug demo`'s set-up, without the UI: in a home of its own (a temporary directory unless one
 * is given) it starts a private Tor network on 127.0.0.1 (daemon/tor/testnet.ts), a `snug pub`
 * and two `snug daemon`s joined to it (yours and the bot's; each its own process with its own
 * tor), makes a profile in each, a group on the pub with both of you in it, makes you contacts
 * too (on a daemon without groups, the 1:1 conversation is the demo's), and starts the bot
 * (./bot.ts) on its daemon's local API.
 * It reports each step as it goes. `stop()` undoes all of it, in reverse: the bot, both daemons
 * (daemon/shutdown, then SIGKILL past CHILD_STOP_MS), the pub, the network, and the temporary
 * home; every child is also SIGKILLed if this process exits first (daemon/tor/reaper.ts).
 *
 * Layout of the home: `network/` (the authorities), `pub/`, `you/`, `bot/` (homes), `*.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../protocol/api/errors.js';
import { ApiClient } from '../api/client.js';
import { SOCKET_NAME } from '../api/constants.js';
import { trackChild } from '../tor/reaper.js';
import { startTestNetwork, type TestNetwork } from '../tor/testnet.js';
import { DemoBot } from './bot.js';
import { BOT_NAME, CHILD_STOP_MS, DEMO_GROUP_NAME, DEMO_PASSPHRASE, STEP_TIMEOUT_MS } from './constants.js';
import { DemoError, DemoErrorCode } from './errors.js';

/** bin/snug.js, from dist/daemon/demo/demo.js. */
const SNUG_BIN = fileURLToPath(new URL('../../../bin/snug.js', import.meta.url));

export interface DemoInit {
  /** The demo's own directory; a fresh temporary one (removed at the end) when absent. */
  readonly home?: string | undefined;
  /** The tor to spawn (default: tor on PATH). */
  readonly torBin?: string | undefined;
  /** Your profile's name. */
  readonly name?: string | undefined;
  /** Each step, in words, as it starts. */
  readonly progress?: ((line: string) => void) | undefined;
}

export interface Demo {
  /** Your daemon's home and socket: what the UI connects to. */
  readonly home: string;
  readonly socketPath: string;
  /** The conversation to open: `g:<groupId>`, or `c:<bot address>` on a daemon without groups. */
  readonly initialKey: string;
  readonly botAddress: string;
  readonly pubAddress: string;
  /** The pids of every process the demo started (pub, daemons; the network's tors are tracked by it). */
  pids(): number[];
  readonly bot: DemoBot;
  /** Stops everything the demo started and removes the temporary home. Safe to call twice. */
  stop(): Promise<void>;
}

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stdout(): string;
}

async function spawnSnug(name: string, args: readonly string[], logFile: string): Promise<Child> {
  const log = await open(logFile, 'a', 0o600);
  let out = '';
  const child = spawn(process.execPath, [SNUG_BIN, ...args], { stdio: ['ignore', 'pipe', log.fd], env: { ...process.env, DEBUG: '' } });
  await log.close();
  trackChild(child);
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-16_384)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { name, child, exited, stdout: () => out };
}

function alive(c: Child): boolean {
  return c.child.exitCode === null && c.child.signalCode === null;
}

async function waitFor<T>(what: string, signal: AbortSignal, children: readonly Child[], attempt: () => Promise<T | null>, withinMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (signal.aborted) throw new DemoError(DemoErrorCode.ABORTED, 'the demo was interrupted while starting');
    const dead = children.find((c) => !alive(c));
    if (dead) throw new DemoError(DemoErrorCode.CHILD_EXITED, `the demo's ${dead.name} exited while waiting for ${what} (see its log in the demo's home)`);
    const v = await attempt().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new DemoError(DemoErrorCode.TIMEOUT, `${what} took longer than ${withinMs / 1000} s`);
    await sleep(200);
  }
}

async function stopChild(c: Child, ask: () => Promise<void>): Promise<void> {
  if (!alive(c)) return;
  await ask().catch(() => c.child.kill('SIGTERM'));
  const t = setTimeout(() => c.child.kill('SIGKILL'), CHILD_STOP_MS);
  await c.exited;
  clearTimeout(t);
}

export async function startDemo(init: DemoInit = {}, options: { signal?: AbortSignal } = {}): Promise<Demo> {
  const signal = options.signal ?? new AbortController().signal;
  const say = init.progress ?? (() => undefined);
  const temporary = init.home === undefined;
  const root = init.home !== undefined ? resolve(init.home) : await mkdtemp(join(tmpdir(), 'snug-demo-'));
  await mkdir(root, { recursive: true, mode: 0o700 });
  const children: Child[] = [];
  const clients: ApiClient[] = [];
  let network: TestNetwork | null = null;
  let bot: DemoBot | null = null;
  let stopped: Promise<void> | null = null;
  // a crash: the children are SIGKILLed by the reaper; the temporary home goes too
  const removeOnExit = () => {
    if (temporary) rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', removeOnExit);

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await bot?.stop().catch(() => undefined);
      for (const c of clients) await c.close().catch(() => undefined);
      const daemons = children.filter((c) => c.name !== 'pub');
      await Promise.all(
        daemons.map((c) =>
          stopChild(c, async () => {
            const client = await ApiClient.connect(join(root, c.name, SOCKET_NAME));
            try {
              await client.call('daemon/shutdown');
            } finally {
              await client.close();
            }
          }),
        ),
      );
      await Promise.all(children.filter((c) => c.name === 'pub').map((c) => stopChild(c, async () => void c.child.kill('SIGTERM'))));
      await network?.stop().catch(() => undefined);
      if (temporary) await rm(root, { recursive: true, force: true, maxRetries: 3 });
      process.off('exit', removeOnExit);
    })());

  try {
    const t0 = Date.now();
    const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    say(`demo home: ${root}${temporary ? ' (temporary: removed when the demo ends)' : ''}`);
    say('starting a private Tor network on 127.0.0.1 (5 directory authorities)…');
    network = await startTestNetwork({ dir: join(root, 'network'), ...(init.torBin !== undefined ? { torBin: init.torBin } : {}) }, { signal });
    const torrc = await network.clientTorrcFile();
    const torArgs = ['--tor-config', torrc, ...(init.torBin !== undefined ? ['--tor-bin', init.torBin] : [])];
    say(`  the network is up (${secs()})`);

    say('starting a pub and two daemons (yours and the bot\'s), each with its own tor…');
    const pub = await spawnSnug('pub', ['pub', '--home', join(root, 'pub'), '--log-format', 'json', ...torArgs], join(root, 'pub.log'));
    children.push(pub);
    for (const name of ['you', 'bot']) children.push(await spawnSnug(name, ['daemon', '--home', join(root, name), '--log-format', 'json', ...torArgs], join(root, `${name}.log`)));
    const connect = async (name: string): Promise<ApiClient> => {
      const c = await waitFor(`${name}'s daemon to answer`, signal, children, async () => {
        const client = await ApiClient.connect(join(root, name, SOCKET_NAME));
        await client.call('daemon/status');
        return client;
      });
      clients.push(c);
      return c;
    };
    const [you, botClient] = await Promise.all([connect('you'), connect('bot')]);

    const profile = async (client: ApiClient, name: string): Promise<string> => {
      const st = await client.call('daemon/status');
      if (st.profile === null) return (await client.call('profile/create', { name, passphrase: DEMO_PASSPHRASE })).address;
      return (await client.call('profile/unlock', { passphrase: DEMO_PASSPHRASE })).address;
    };
    say(`making the profiles (passphrase: "${DEMO_PASSPHRASE}")…`);
    const [youAddress, botAddress] = await Promise.all([profile(you, init.name ?? 'you'), profile(botClient, BOT_NAME)]);

    say('waiting for tor and the onion services…');
    const pubAddress = await waitFor('the pub\'s onion service', signal, children, async () => /pub address: (\S+\.onion)/.exec(pub.stdout())?.[1] ?? null);
    let last = '';
    await waitFor('tor in both daemons', signal, children, async () => {
      const [a, b] = await Promise.all([you.call('daemon/status'), botClient.call('daemon/status')]);
      const line = `  tor: you ${a.tor.bootstrap}% (${a.tor.onion}), bot ${b.tor.bootstrap}% (${b.tor.onion})`;
      if (line !== last) say((last = line));
      return a.tor.state === 'ready' && b.tor.state === 'ready' && a.tor.onion === 'published' && b.tor.onion === 'published' ? true : null;
    });
    say(`  ready (${secs()}): pub ${pubAddress.slice(0, 12)}…, bot ${botAddress.slice(0, 12)}…`);

    bot = new DemoBot({ client: botClient }, { address: botAddress, nameOf: () => init.name ?? 'you' });
    await bot.start();

    // the bot becomes your contact too (its name shows, and a peer link comes up), alongside the group
    const befriend = (async () => {
      await you.call('contact/add', { address: botAddress, name: BOT_NAME, message: 'hello from the demo' });
      await waitFor('the bot to get the contact request', signal, children, async () => ((await botClient.call('contact/list')).contacts.some((c) => c.address === youAddress) ? true : null));
      await botClient.call('contact/accept', { address: youAddress });
      await waitFor('the contact link', signal, children, async () => ((await you.call('contact/list')).contacts.some((c) => c.address === botAddress && c.state === 'accepted') ? true : null));
    })();
    befriend.catch(() => undefined);

    let initialKey: string;
    try {
      say(`making the group #${DEMO_GROUP_NAME} on the pub, and the bot joins it…`);
      const existing = (await you.call('group/list')).groups.find((g) => g.name === DEMO_GROUP_NAME);
      const groupId = existing?.groupId ?? (await you.call('group/create', { name: DEMO_GROUP_NAME, pubs: [pubAddress] })).groupId;
      const botGroups = (await botClient.call('group/list')).groups;
      if (!botGroups.some((g) => g.groupId === groupId)) {
        const { invite } = await you.call('group/exportInvite', { groupId });
        await botClient.call('group/join', { invite });
      }
      initialKey = `g:${groupId}`;
      say('making the bot your contact as well…');
      await befriend;
      if (!existing) await you.call('message/send', { groupId, text: 'hi' });
    } catch (err) {
      if (!(err instanceof ApiError) || (err.code !== 'ERR_METHOD_NOT_FOUND' && err.code !== 'ERR_LOCKED' && err.code !== 'ERR_INTERNAL')) throw err;
      // a daemon without groups yet: chat 1:1 with the bot instead, over the same onion services
      say(`  this daemon does not run groups yet (${err.code}): you chat with the bot 1:1`);
      await befriend;
      await you.call('message/send', { address: botAddress, text: 'hi' });
      initialKey = `c:${botAddress}`;
    }
    say(`opening the UI (${secs()})…`);
    const theBot = bot;
    return {
      home: join(root, 'you'),
      socketPath: join(root, 'you', SOCKET_NAME),
      initialKey,
      botAddress,
      pubAddress,
      bot: theBot,
      pids: () => children.map((c) => c.child.pid).filter((p): p is number => p !== undefined),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
