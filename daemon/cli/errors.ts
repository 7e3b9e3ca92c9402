import { SnugError } from '../../protocol/errors.js';

/** A command line that cannot be carried out as given: exit status 2, one line on stderr. */
export class UsageError extends SnugError {
  /** The flag at fault (e.g. '--max-inflight'), when one is. */
  readonly flag: string | undefined;
  constructor(message: string, options: { flag?: string } = {}) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
    this.flag = options.flag;
  }
}
