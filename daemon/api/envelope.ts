/**
 * The edge of the socket: one line in, a typed JSON-RPC 2.0 message (or batch) out, or the
 * error it deserves. Pure functions, table-tested. Validation is ours rather than json-rpc-2.0's
 * (`isJSONRPCRequest` accepts a non-string method and throws on a `null` batch element).
 */
import { z } from 'zod';
import { API_ERRORS, type ApiErrorName, type ApiErrorObject } from '../../protocol/api/errors.js';
import { PARAMS_CODE_KEY } from '../../protocol/api/schemas.js';

export type JsonRpcId = string | number | null;

const Id = z.union([z.string(), z.number(), z.null()]);

const RequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.custom<Record<string, unknown> | unknown[]>((v) => typeof v === 'object' && v !== null).optional(),
  id: Id.optional(),
});

/** A well-formed request; `id` undefined makes it a notification (no answer). */
export interface RequestMessage {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: Record<string, unknown> | unknown[];
  readonly id?: JsonRpcId;
}

export interface ErrorResponse {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly error: ApiErrorObject;
}

export interface SuccessResponse {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly result: unknown;
}

export type ResponseMessage = SuccessResponse | ErrorResponse;

export function errorResponse(id: JsonRpcId, name: ApiErrorName, message?: string, data?: Readonly<Record<string, unknown>>): ErrorResponse {
  const spec = API_ERRORS[name];
  return { jsonrpc: '2.0', id, error: { code: spec.code, message: message ?? spec.message, data: { ...data, code: name } } };
}

/** One element of a line: a request to run, or the answer to send without running anything. */
export type Element = { readonly kind: 'request'; readonly request: RequestMessage } | { readonly kind: 'invalid'; readonly response: ErrorResponse };

export type ParsedLine =
  | { readonly kind: 'blank' }
  | { readonly kind: 'error'; readonly response: ErrorResponse }
  | { readonly kind: 'single'; readonly element: Element }
  | { readonly kind: 'batch'; readonly elements: readonly Element[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isBlank(line: Uint8Array): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

export function parseElement(value: unknown): Element {
  const parsed = RequestSchema.safeParse(value);
  if (parsed.success) return { kind: 'request', request: parsed.data as RequestMessage };
  // echo the id when it is a valid one, so the caller can tell which request was at fault
  const rawId = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)['id'] : undefined;
  const id = Id.safeParse(rawId);
  return { kind: 'invalid', response: errorResponse(id.success ? id.data : null, 'ERR_INVALID_REQUEST') };
}

/** Parses one line (without its newline): blank lines are skipped, a batch has 1..maxBatch elements. */
export function parseLine(line: Uint8Array, maxBatch: number): ParsedLine {
  if (isBlank(line)) return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(line));
  } catch {
    return { kind: 'error', response: errorResponse(null, 'ERR_PARSE') };
  }
  if (!Array.isArray(value)) return { kind: 'single', element: parseElement(value) };
  if (value.length === 0) return { kind: 'error', response: errorResponse(null, 'ERR_INVALID_REQUEST', 'an empty batch') };
  if (value.length > maxBatch) {
    return { kind: 'error', response: errorResponse(null, 'ERR_BATCH_TOO_LARGE', `a batch holds at most ${maxBatch} requests`, { max: maxBatch }) };
  }
  return { kind: 'batch', elements: value.map(parseElement) };
}

/** The -32602 answer for zod issues: data.code is the first issue's API code if it names one. */
export function invalidParamsResponse(id: JsonRpcId, issues: readonly z.core.$ZodIssue[]): ErrorResponse {
  let name: ApiErrorName = 'ERR_INVALID_PARAMS';
  for (const issue of issues) {
    const apiCode = (issue as { params?: Record<string, unknown> }).params?.[PARAMS_CODE_KEY];
    if (apiCode === 'ERR_BAD_ADDRESS' || apiCode === 'ERR_BAD_INVITE') {
      name = apiCode;
      break;
    }
  }
  const listed = issues.slice(0, 10).map((issue) => ({ path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message }));
  return errorResponse(id, name, undefined, { issues: listed });
}
