/**
 * A fake tor control port on a real socket (TCP on 127.0.0.1, or a Unix socket): it answers
 * PROTOCOLINFO with the methods a test gives, plays SAFECOOKIE with a cookie of its own, says
 * 250 to whatever else, and records every line it is sent, so that tests can check that no key
 * (no ADD_ONION) and no secret ever reached it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SAFECOOKIE_CLIENT_KEY, SAFECOOKIE_SERVER_KEY } from '../../daemon/tor/constants.js';

export interface FakeControlInit {
  /** PROTOCOLINFO's METHODS, e.g. ['COOKIE'] or ['NULL']. */
  readonly methods: readonly string[];
  /** The cookie file it reports in PROTOCOLINFO (a fake names one of its own). */
  readonly reportedCookieFile?: string;
  /** The cookie it plays SAFECOOKIE with (default: 32 random bytes nobody else knows). */
  readonly cookie?: Uint8Array;
  /** Listen on this Unix socket path instead of TCP. */
  readonly socketPath?: string;
}

export interface FakeControl {
  /** TCP port (0 for a Unix socket). */
  readonly port: number;
  /** Every line received, in order, on every connection. */
  readonly lines: string[];
  /** Everything received, as text. */
  received(): string;
  close(): Promise<void>;
}

export async function startFakeControl(init: FakeControlInit): Promise<FakeControl> {
  const cookie = Buffer.from(init.cookie ?? randomBytes(32));
  const lines: string[] = [];
  let raw = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    let clientNonce: Buffer | null = null;
    let serverNonce: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      buffered += chunk.toString('latin1');
      for (;;) {
        const nl = buffered.indexOf('\r\n');
        if (nl < 0) break;
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 2);
        lines.push(line);
        const [verb, ...rest] = line.split(' ');
        if (verb === 'PROTOCOLINFO') {
          const file = init.reportedCookieFile !== undefined ? ` COOKIEFILE="${init.reportedCookieFile}"` : '';
          socket.write(`250-PROTOCOLINFO 1\r\n250-AUTH METHODS=${init.methods.join(',')}${file}\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n`);
        } else if (verb === 'AUTHCHALLENGE' && rest[0] === 'SAFECOOKIE') {
          clientNonce = Buffer.from(rest[1] ?? '', 'hex');
          serverNonce = randomBytes(32);
          const hash = createHmac('sha256', SAFECOOKIE_SERVER_KEY).update(Buffer.concat([cookie, clientNonce, serverNonce])).digest('hex');
          socket.write(`250 AUTHCHALLENGE SERVERHASH=${hash} SERVERNONCE=${serverNonce.toString('hex')}\r\n`);
        } else if (verb === 'AUTHENTICATE' && clientNonce && serverNonce) {
          const expected = createHmac('sha256', SAFECOOKIE_CLIENT_KEY).update(Buffer.concat([cookie, clientNonce, serverNonce])).digest('hex');
          socket.write(rest[0]?.toLowerCase() === expected ? '250 OK\r\n' : '515 Authentication failed\r\n');
        } else if (verb === 'GETINFO' && rest[0] === 'status/bootstrap-phase') {
          socket.write('250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n250 OK\r\n');
        } else {
          socket.write('250 OK\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (init.socketPath !== undefined) server.listen(init.socketPath, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? (address as AddressInfo).port : 0,
    lines,
    received: () => raw,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
