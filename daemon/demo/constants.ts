/** Defaults of `snug demo` (daemon/demo). */

/** The bot's profile name. */
export const BOT_NAME = 'snugbot';
/** The demo group's name. */
export const DEMO_GROUP_NAME = 'demo';
/**
 * The passphrase of the profiles the demo makes. They live in a throwaway home (unless --home
 * is given), so it is not a secret; the demo prints it for whoever wants to unlock again.
 */
export const DEMO_PASSPHRASE = 'snug demo';
/** How long each step may take before the demo gives up (ms): tor on a private network is quick. */
export const STEP_TIMEOUT_MS = 120_000;
/** How long a child may take to stop after it was asked to (ms), then SIGKILL. */
export const CHILD_STOP_MS = 10_000;
