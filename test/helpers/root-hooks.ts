/**
 * Mocha root hooks (registered in .mocharc.json "require"): after the whole run, stop the
 * shared private Tor network if any test file started it.
 */
import { stopSharedTestNetwork } from './testnet.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSharedTestNetwork();
  },
};
