/**
 * A real ApiServer on a real socket in a temp dir, with small test handlers for the daemon's
 * methods (the real ones are the daemon's, c2), and a raw newline-JSON socket client for tests
 * that need to send what a well-behaved client would not.
 */
import { connect, type Socket } from 'node:net';
import { ApiError } from '../../protocol/api/errors.js';
import { MemoryJournal } from '../../daemon/api/journal.js';
import { ApiServer, type ApiServerInit, type Handlers } from '../../daemon/api/server.js';
import { makeTempDir, removeDir } from './temp.js';

export const TEST_ADDRESS = 'a'.repeat(56) + '.onion';
export const TEST_PASSPHRASE = 'correct horse battery staple';

/** Handlers with a tiny in-memory "profile", enough to give each method's results and errors. */
export function testHandlers(state: { profile: { name: string; locked: boolean } | null } = { profile: null }): Required<Handlers> {
  return {
    'daemon/status': async () => ({
      version: 'test',
      pid: process.pid,
      tor: { transport: 'direct', bootstrap: 0, state: 'off', onion: 'off' },
      profile: state.profile === null ? null : { address: state.profile.locked ? null : TEST_ADDRESS, name: state.profile.locked ? null : state.profile.name, locked: state.profile.locked },
      pubs: [],
      peers: [],
      development: { testKdf: true, listener: null },
    }),
    'daemon/shutdown': async () => ({}),
    'profile/create': async ({ name }) => {
      if (state.profile !== null) throw new ApiError('ERR_PROFILE_EXISTS');
      state.profile = { name, locked: false };
      return { address: TEST_ADDRESS };
    },
    'profile/unlock': async ({ passphrase }) => {
      if (state.profile === null) throw new ApiError('ERR_NO_PROFILE');
      if (passphrase !== TEST_PASSPHRASE) throw new ApiError('ERR_BAD_PASSPHRASE');
      state.profile.locked = false;
      return { address: TEST_ADDRESS };
    },
    'profile/lock': async () => {
      if (state.profile === null) throw new ApiError('ERR_NO_PROFILE');
      state.profile.locked = true;
      return {};
    },
    'profile/changePassphrase': async ({ passphrase }) => {
      if (state.profile === null) throw new ApiError('ERR_NO_PROFILE');
      if (passphrase !== TEST_PASSPHRASE) throw new ApiError('ERR_BAD_PASSPHRASE');
      return {};
    },
    // contacts: the real ones are daemon/contacts/; these only answer as a locked daemon would
    'contact/add': async () => {
      throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    },
    'contact/accept': async () => {
      throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    },
    'contact/block': async () => {
      throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    },
    'contact/remove': async () => {
      throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    },
    'contact/list': async () => ({ contacts: [] }),
    'message/send': async () => {
      throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_NOT_CONTACT');
    },
    'message/list': async () => ({ messages: [] }),
    // groups: the real ones are daemon/groups/; these answer as a locked daemon would
    'message/markRead': locked(state),
    'group/create': locked(state),
    'group/invite': locked(state),
    'group/invites': async () => ({ invites: [] }),
    'group/decline': locked(state),
    'group/exportInvite': locked(state),
    'group/join': locked(state),
    'group/list': async () => ({ groups: [] }),
    'group/members': locked(state),
    'group/setSettings': locked(state),
    // membership: the real ones are daemon/groups/membership/
    'group/removeMember': locked(state),
    'group/leave': locked(state),
    'group/setRole': locked(state),
    'group/setPubs': locked(state),
    'message/hide': locked(state),
    'message/react': locked(state),
    'message/edit': locked(state),
    'message/delete': locked(state),
  };
}

function locked(state: { profile: { name: string; locked: boolean } | null }): () => Promise<never> {
  return async () => {
    throw new ApiError(state.profile === null ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
  };
}

export interface TestServer {
  readonly dir: string;
  readonly server: ApiServer;
  readonly journal: MemoryJournal;
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function startTestServer(init: Partial<ApiServerInit> = {}, handlers: Handlers = testHandlers()): Promise<TestServer> {
  const dir = init.directory ?? (await makeTempDir('api'));
  const journal = new MemoryJournal();
  const server = new ApiServer({ journal, log: () => {} }, { ...init, directory: dir });
  server.handleAll(handlers);
  await server.start();
  return {
    dir,
    server,
    journal,
    socketPath: server.socketPath,
    close: async () => {
      await server.stop();
      if (init.directory === undefined) await removeDir(dir);
    },
  };
}

/** A raw line client: writes what it is told, collects the lines (parsed) that come back. */
export class LineClient {
  readonly socket: Socket;
  readonly lines: unknown[] = [];
  #buffer = '';
  #waiters: { count: number; resolve: () => void }[] = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      let nl;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.lines.push(JSON.parse(line));
      }
      this.#wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static connect(path: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new LineClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  send(value: unknown): void {
    this.socket.write(JSON.stringify(value) + '\n');
  }

  sendRaw(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Resolves when at least `count` lines have arrived in all (or the socket closed). */
  async waitLines(count: number, timeoutMs = 10_000): Promise<unknown[]> {
    if (this.lines.length < count && !this.#closed) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${count} lines, have ${this.lines.length}`)), timeoutMs);
        this.#waiters.push({
          count,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    }
    return this.lines;
  }

  /** Sends one request and resolves with the next line (for one-at-a-time use). */
  async call(value: unknown): Promise<unknown> {
    const n = this.lines.length;
    this.send(value);
    await this.waitLines(n + 1);
    return this.lines[n];
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.lines.length >= w.count || this.#closed) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** data.code of an error response line (undefined if it is not one). */
export function errorCodeOf(line: unknown): string | undefined {
  const data = (line as { error?: { data?: { code?: unknown } } } | undefined)?.error?.data;
  return typeof data?.code === 'string' ? data.code : undefined;
}
