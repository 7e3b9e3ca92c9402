/**
 * What a method or notification of the local API is, as data (STYLE.md, vscode-languageserver-
 * node: one typed descriptor per method). The server validates params with `params` before
 * anything else, the client validates results with `result`, the OpenRPC document and the docs'
 * test are generated from the same objects. Pure: no I/O.
 */
import { z } from 'zod';
import type { ApiErrorName } from './errors.js';

/** Params are always by name: a JSON object (no positional params). */
export type ParamsSchema = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

export interface MethodDescriptor<M extends string = string, P extends ParamsSchema = ParamsSchema, R extends z.ZodType = z.ZodType> {
  readonly kind: 'method';
  /** `scope/verb` (or `rpc.discover`). */
  readonly method: M;
  /** One line, for the OpenRPC document and `--help`. */
  readonly summary: string;
  /** The params object's schema; absent params are validated as `{}`. */
  readonly params: P;
  /** The result's schema. */
  readonly result: R;
  /** The application (and -32602 variant) errors this method may answer, beyond COMMON_ERRORS. */
  readonly errors: readonly ApiErrorName[];
}

export interface NotificationDescriptor<M extends string = string, P extends ParamsSchema = ParamsSchema> {
  readonly kind: 'notification';
  /** `scope/didX`. */
  readonly method: M;
  readonly summary: string;
  /** The params object's schema; every notification's params carry `seq`. */
  readonly params: P;
}

/** The errors any method may answer: bad params, a stopping daemon, a bug. */
export const COMMON_ERRORS: readonly ApiErrorName[] = ['ERR_INVALID_PARAMS', 'ERR_SHUTTING_DOWN', 'ERR_INTERNAL'];

export function defineMethod<const M extends string, P extends ParamsSchema, R extends z.ZodType>(
  d: Omit<MethodDescriptor<M, P, R>, 'kind'>,
): MethodDescriptor<M, P, R> {
  return Object.freeze({ kind: 'method', ...d });
}

export function defineNotification<const M extends string, P extends ParamsSchema>(
  d: Omit<NotificationDescriptor<M, P>, 'kind'>,
): NotificationDescriptor<M, P> {
  return Object.freeze({ kind: 'notification', ...d });
}

/** The params a caller sends (before defaults and transforms). */
export type ParamsInput<D extends MethodDescriptor | NotificationDescriptor> = z.input<D['params']>;
/** The params a handler receives (validated). */
export type ParamsOutput<D extends MethodDescriptor | NotificationDescriptor> = z.output<D['params']>;
/** What a handler returns. */
export type ResultInput<D extends MethodDescriptor> = z.input<D['result']>;
/** What a caller gets (validated). */
export type ResultOutput<D extends MethodDescriptor> = z.output<D['result']>;
