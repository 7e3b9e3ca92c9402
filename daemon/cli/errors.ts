import { SnugError } from '../../protocol/errors.js';

/** A command line that cannot be carried out as given: exit status 2, one line on stderr. */
export class UsageError extends SnugError {
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A command that exists in the contract but is not built yet: exit status 1, says so. */
export class NotBuiltError extends SnugError {
  constructor(command: string) {
    super('ERR_NOT_BUILT', `'snug ${command}' is not built yet in this version`);
    this.name = 'NotBuiltError';
  }
}
