/**
 * Whom the daemon trusts with its identity key. `ADD_ONION` hands tor the onion service's
 * secret key, so before any secret is sent the control listener must have proved it is tor:
 *
 * - SAFECOOKIE with a cookie file we trust (the one we configured for a tor we spawned, or the
 *   one the user named with --tor-cookie): tor proves it knows the cookie (SERVERHASH) before we
 *   prove we do. The cookie path the listener reports in PROTOCOLINFO is never read: a fake
 *   listener would name a file of its own.
 * - A control Unix socket owned by us or the tor user (in a directory others cannot replace it
 *   in): only tor (or we) could have made it. Over it NULL and COOKIE are fine too.
 *
 * COOKIE, NULL and password authentication over TCP prove nothing and are refused with
 * ERR_TOR_UNSAFE_AUTH naming what to configure; a password only behind an explicit allowance
 * (--tor-allow-password, documented as weaker: a fake listener would learn it, and the key).
 */
import { constants } from 'node:fs';
import { lstat, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import debugFactory from 'debug';
import { AUTH_COOKIE_BYTES, TOR_SYSTEM_USERS } from './constants.js';
import type { TorControl } from './control.js';
import { TorError, TorErrorCode } from './errors.js';

const log = debugFactory('snug:daemon:tor:auth');

export type AuthMethod = 'SAFECOOKIE' | 'COOKIE' | 'NULL' | 'HASHEDPASSWORD';

export interface AuthPolicy {
  /** A cookie file we trust: the one we configured (spawn mode) or the one the user named. */
  readonly cookieFile?: string | undefined;
  /** The connection is a control socket whose owner checkControlSocket() accepted. */
  readonly trustedSocket?: boolean;
  /** HASHEDPASSWORD allowed (attach mode, explicitly), with this password (undefined: none set). */
  readonly password?: { readonly value: string | undefined };
}

/** Uids whose files we trust: ours and the system tor user's (debian-tor on Debian). */
export async function trustedUids(): Promise<ReadonlySet<number>> {
  const uids = new Set<number>();
  const own = process.getuid?.();
  if (own !== undefined) uids.add(own);
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name !== undefined && TOR_SYSTEM_USERS.includes(name) && /^\d+$/.test(uid ?? '')) uids.add(Number(uid));
  }
  return uids;
}

function untrusted(message: string): TorError {
  return new TorError(TorErrorCode.UNTRUSTED_PATH, message);
}

/**
 * Reads a cookie file we were told to trust, through one open file (no swap between the check
 * and the read): a regular file of 32 bytes, owned by us or the tor user, not writable by group
 * or others. A symlink is followed: what is checked is the file it opens. The caller wipes the
 * result.
 */
export async function readTrustedCookie(path: string): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY);
  } catch (err) {
    throw new TorError(TorErrorCode.AUTH_FAILED, `cannot open the cookie file ${path}`, { cause: err });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw untrusted(`the cookie file ${path} is not a regular file`);
    if (!(await trustedUids()).has(st.uid)) throw untrusted(`the cookie file ${path} is owned by uid ${st.uid}, neither us nor the tor user`);
    if ((st.mode & 0o022) !== 0) throw untrusted(`the cookie file ${path} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`);
    if (st.size !== AUTH_COOKIE_BYTES) throw new TorError(TorErrorCode.AUTH_FAILED, `the cookie file ${path} is not ${AUTH_COOKIE_BYTES} bytes`);
    const cookie = new Uint8Array(AUTH_COOKIE_BYTES);
    const { bytesRead } = await fh.read(cookie, 0, AUTH_COOKIE_BYTES, 0);
    if (bytesRead !== AUTH_COOKIE_BYTES) {
      cookie.fill(0);
      throw new TorError(TorErrorCode.AUTH_FAILED, `the cookie file ${path} is not ${AUTH_COOKIE_BYTES} bytes`);
    }
    return cookie;
  } finally {
    await fh.close();
  }
}

/**
 * Accepts a control socket only if it is a socket owned by us or the tor user, in a directory
 * owned by one of those or root that group and others cannot write to (unless sticky).
 */
export async function checkControlSocket(path: string): Promise<void> {
  const uids = await trustedUids();
  const st = await lstat(path).catch((err: unknown) => {
    throw new TorError(TorErrorCode.CONTROL_CLOSED, `no control socket at ${path}`, { cause: err });
  });
  if (!st.isSocket()) throw untrusted(`${path} is not a socket`);
  if (!uids.has(st.uid)) throw untrusted(`the control socket ${path} is owned by uid ${st.uid}, neither us nor the tor user`);
  const dir = dirname(path);
  const dst = await stat(dir);
  if (!uids.has(dst.uid) && dst.uid !== 0) throw untrusted(`the control socket's directory ${dir} is owned by uid ${dst.uid}`);
  if ((dst.mode & 0o022) !== 0 && (dst.mode & 0o1000) === 0) throw untrusted(`others can replace the control socket in ${dir} (mode ${(dst.mode & 0o7777).toString(8)})`);
}

/** What to configure when a control port offers nothing that proves it is tor. */
function advice(methods: ReadonlySet<string>, policy: AuthPolicy): string {
  const offered = [...methods].join(',') || 'nothing';
  const fixes = 'pass --tor-cookie PATH (the file its CookieAuthFile names), or use its ControlSocket (--tor-control unix:PATH)';
  if (methods.has('SAFECOOKIE')) return `it offers ${offered}: ${fixes}`;
  if (methods.has('HASHEDPASSWORD') && policy.password === undefined) {
    return `it offers ${offered}; a password does not prove it is tor: set CookieAuthentication 1 in its torrc and ${fixes}, or pass --tor-allow-password (weaker) with the password in $SNUG_TOR_PASSWORD`;
  }
  return `it offers ${offered}, which does not prove it is tor: set CookieAuthentication 1 in its torrc and ${fixes}`;
}

/**
 * Authenticates `control` by `policy` (above) and returns the method used; throws UNSAFE_AUTH
 * without sending anything secret when nothing offered proves the listener is tor.
 */
export async function authenticate(control: TorControl, policy: AuthPolicy, options: { signal?: AbortSignal } = {}): Promise<AuthMethod> {
  const info = await control.protocolInfo(options);
  const { methods } = info;
  log('control port offers %s (reports cookie file %s; not used)', [...methods].join(','), info.cookieFile ?? 'none');
  const useCookie = methods.has('SAFECOOKIE') || (policy.trustedSocket === true && methods.has('COOKIE'));
  if (policy.cookieFile !== undefined && useCookie) {
    const cookie = await readTrustedCookie(policy.cookieFile);
    try {
      if (methods.has('SAFECOOKIE')) {
        await control.authenticateSafeCookie(cookie, options);
        return 'SAFECOOKIE';
      }
      await control.authenticateCookie(cookie, options);
      return 'COOKIE';
    } finally {
      cookie.fill(0);
    }
  }
  if (policy.trustedSocket === true && methods.has('NULL')) {
    await control.authenticateNull(options);
    return 'NULL';
  }
  if (policy.password !== undefined && methods.has('HASHEDPASSWORD')) {
    const password = policy.password.value;
    if (password === undefined) throw new TorError(TorErrorCode.AUTH_FAILED, 'tor wants a password: set SNUG_TOR_PASSWORD');
    await control.authenticatePassword(password, options);
    return 'HASHEDPASSWORD';
  }
  throw new TorError(TorErrorCode.UNSAFE_AUTH, `refusing to hand the onion key to a control port that has not proved it is tor: ${advice(methods, policy)}`);
}
