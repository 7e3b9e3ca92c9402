/** Names and modes of what the daemon keeps directly in its home. */

/** The home directory's mode: the owner only. Any group/other bit on an existing home is refused. */
export const HOME_MODE = 0o700;
/** Permission bits a home must not have (group and other). */
export const HOME_FORBIDDEN_BITS = 0o077;
/** The one-daemon lock: a small versioned JSON record with the holder's pid. */
export const LOCK_FILE = 'daemon.lock';
/** Version of the lock record. */
export const LOCK_VERSION = 1;
/** Largest lock file read (anything bigger is not ours and is treated as stale garbage). */
export const LOCK_MAX_BYTES = 256;
/** Attempts to take the lock when stale locks keep appearing (another daemon racing us). */
export const LOCK_ATTEMPTS = 5;
/** The local API socket (created by daemon/api's server). */
export const SOCKET_FILE = 'snug.sock';
/** The daemon's tor: torrc, DataDirectory, control port file. */
export const TOR_DIR = 'tor';
