/** Errors of `snug demo`: a step that failed or took too long, named by its code. */
import { SnugError, errorGuard } from '../../protocol/errors.js';

export const DemoErrorCode = {
  /** A child (pub, daemon) exited before it was ready. */
  CHILD_EXITED: 'ERR_DEMO_CHILD_EXITED',
  /** A step did not finish in time. */
  TIMEOUT: 'ERR_DEMO_TIMEOUT',
  /** Starting was interrupted (Ctrl+C). */
  ABORTED: 'ERR_DEMO_ABORTED',
} as const;

export type DemoErrorCode = (typeof DemoErrorCode)[keyof typeof DemoErrorCode];

export class DemoError extends SnugError<DemoErrorCode> {}

export const isDemoError = errorGuard(DemoError);
