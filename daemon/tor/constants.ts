/**
 * Defaults of the Tor layer, one place. Times are milliseconds, sizes bytes.
 */

/** Longest control-port line we accept (control-spec has no limit; tor's own lines are far shorter). */
export const CONTROL_MAX_LINE_BYTES = 64 * 1024;
/** Largest whole reply (all lines and data blocks) we accept. */
export const CONTROL_MAX_REPLY_BYTES = 4 * 1024 * 1024;
/** Time a control command may take to get its complete reply. */
export const CONTROL_COMMAND_TIMEOUT_MS = 15_000;
/** Time allowed to open the TCP connection to a control port. */
export const CONTROL_CONNECT_TIMEOUT_MS = 10_000;
/** Bytes of the client nonce in SAFECOOKIE authentication (control-spec: 32). */
export const SAFECOOKIE_NONCE_BYTES = 32;
/** Bytes of tor's authentication cookie (control-spec: 32). */
export const AUTH_COOKIE_BYTES = 32;
/** HMAC keys of SAFECOOKIE (control-spec, AUTHCHALLENGE). */
export const SAFECOOKIE_SERVER_KEY = 'Tor safe cookie authentication server-to-controller hash';
export const SAFECOOKIE_CLIENT_KEY = 'Tor safe cookie authentication controller-to-server hash';

/** System users a system tor runs as (Debian: debian-tor); files they own are trusted like ours. */
export const TOR_SYSTEM_USERS: readonly string[] = ['debian-tor'];
/** Environment variable holding the control-port password for HASHEDPASSWORD authentication. */
export const TOR_PASSWORD_ENV = 'SNUG_TOR_PASSWORD';
/** The Debian package that provides `tor`, named in the "not found" error. */
export const TOR_DEBIAN_PACKAGE = 'tor';
/** Directories searched for `tor` after $PATH (Debian installs it in /usr/sbin). */
export const TOR_EXTRA_SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** Time a spawned tor gets to write its control port file. */
export const TOR_START_TIMEOUT_MS = 30_000;
/** Poll interval while waiting for the control port file. */
export const TOR_PORT_FILE_POLL_MS = 25;
/** Time tor gets to exit after SIGTERM before SIGKILL. */
export const TOR_STOP_GRACE_MS = 3_000;
/** Bootstrap without progress for this long: tor most likely cannot reach the Tor network. */
export const BOOTSTRAP_STALL_MS = 60_000;
/** Restart backoff after our tor died: first delay, cap, and factor. */
export const RESTART_BACKOFF_INITIAL_MS = 250;
export const RESTART_BACKOFF_MAX_MS = 30_000;
export const RESTART_BACKOFF_FACTOR = 2;

/** The onion service's virtual port: an address alone is enough to dial (ws://<address>.onion/). */
export const ONION_VIRTUAL_PORT = 80;
/** Time allowed to open a WebSocket to an onion service unless the caller says otherwise. */
export const TOR_DIAL_TIMEOUT_MS = 120_000;
/** Largest frame a dialled socket accepts; callers enforce their own, smaller limits. */
export const TOR_MAX_PAYLOAD = 4 * 1024 * 1024;
/** SOCKS5 username/password are at most 255 bytes each (RFC 1929). */
export const SOCKS5_MAX_AUTH_BYTES = 255;

/** Private test network: authorities, voting interval (s), and how long they get to bootstrap. */
export const TESTNET_AUTHORITIES = 5;
export const TESTNET_VOTING_INTERVAL_S = 5;
export const TESTNET_BOOTSTRAP_TIMEOUT_MS = 90_000;
/** Seconds past the voting boundary at which the authorities are started. */
export const TESTNET_START_OFFSET_MS = 100;
