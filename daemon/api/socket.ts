/**
 * The socket file (STYLE.md, wireguard-go): created under umask 077 so it is born 0600; an
 * existing socket is probed by connecting, and replaced only if nothing answers (stale); a live
 * one means another daemon (ERR_DAEMON_RUNNING). Something that is not a socket is never removed.
 */
import { lstat, chmod, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { ApiError } from '../../protocol/api/errors.js';
import { ApiTransportError, ApiTransportErrorCode } from './errors.js';

/** sun_path holds 108 bytes on Linux, the last a NUL. */
export const UNIX_PATH_MAX_BYTES = 107;

export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX_BYTES) {
    throw new ApiTransportError(ApiTransportErrorCode.SOCKET_PATH_TOO_LONG, `the socket path is longer than ${UNIX_PATH_MAX_BYTES} bytes`);
  }
}

/** True when something accepts a connection on `path` within `timeoutMs`. */
export function probeSocket(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    // a listener that does not accept within the time (a hung daemon) still owns the path
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT' ? true : false));
  });
}

/** Removes a stale socket at `path`; throws ERR_DAEMON_RUNNING if one answers. */
export async function clearStaleSocket(path: string, probeTimeoutMs: number): Promise<void> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) {
    throw new ApiTransportError(ApiTransportErrorCode.NOT_A_SOCKET, 'something that is not a socket is where the API socket goes; not removing it');
  }
  if (await probeSocket(path, probeTimeoutMs)) throw new ApiError('ERR_DAEMON_RUNNING');
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Listens on `path` with umask 077 set around the bind (the file is created 0600 from the
 * start), then chmods 0600 again in case the file system ignores the umask for sockets.
 * Resolves with the socket file's inode, so stop() removes only its own file.
 */
export async function listenUnix(server: Server, path: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new ApiError('ERR_DAEMON_RUNNING') : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const previous = process.umask(0o077);
    try {
      // for a path, bind(2) happens inside listen() synchronously, so the umask covers it
      server.listen({ path, exclusive: true });
    } finally {
      process.umask(previous);
    }
  });
  await chmod(path, 0o600);
  return (await lstat(path)).ino;
}

/** Removes the socket file if it is still the one with inode `ino`. */
export async function removeOwnSocket(path: string, ino: number): Promise<void> {
  try {
    const stat = await lstat(path);
    if (stat.isSocket() && stat.ino === ino) await unlink(path);
  } catch {
    // gone already
  }
}
