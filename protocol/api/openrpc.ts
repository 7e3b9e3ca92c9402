/**
 * The OpenRPC 1.x document of the local API (what `rpc.discover` answers), generated from the
 * descriptors with zod's JSON Schema output, so it cannot drift from what the server validates.
 * OpenRPC has no notifications; they go in the `x-notifications` extension, in the same shape
 * as methods (name, summary, params) without a result.
 */
import { z } from 'zod';
import { COMMON_ERRORS, type MethodDescriptor, type NotificationDescriptor, type ParamsSchema } from './descriptor.js';
import { API_ERRORS, type ApiErrorName } from './errors.js';
import { METHODS } from './methods.js';
import { NOTIFICATIONS } from './notifications.js';

export const OPENRPC_VERSION = '1.3.2';
export const API_TITLE = 'snug local API';

export type JsonSchema = Record<string, unknown>;

export interface OpenRpcParam {
  readonly name: string;
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface OpenRpcError {
  readonly code: number;
  readonly message: string;
  readonly data: { readonly code: ApiErrorName };
}

export interface OpenRpcMethod {
  readonly name: string;
  readonly summary: string;
  readonly paramStructure: 'by-name';
  readonly params: readonly OpenRpcParam[];
  readonly result: { readonly name: 'result'; readonly schema: JsonSchema };
  readonly errors: readonly OpenRpcError[];
}

export interface OpenRpcNotification {
  readonly name: string;
  readonly summary: string;
  readonly paramStructure: 'by-name';
  readonly params: readonly OpenRpcParam[];
}

export interface OpenRpcDocument {
  readonly openrpc: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly methods: readonly OpenRpcMethod[];
  readonly 'x-notifications': readonly OpenRpcNotification[];
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

function paramsOf(schema: ParamsSchema): OpenRpcParam[] {
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, member]) => ({
    name,
    required: !member.safeParse(undefined).success,
    schema: jsonSchema(member, 'input'),
  }));
}

function errorOf(name: ApiErrorName): OpenRpcError {
  return { code: API_ERRORS[name].code, message: API_ERRORS[name].message, data: { code: name } };
}

export function openRpcMethod(d: MethodDescriptor): OpenRpcMethod {
  const names = [...new Set<ApiErrorName>([...d.errors, ...COMMON_ERRORS])];
  return {
    name: d.method,
    summary: d.summary,
    paramStructure: 'by-name',
    params: paramsOf(d.params),
    result: { name: 'result', schema: jsonSchema(d.result, 'output') },
    errors: names.map(errorOf),
  };
}

export function openRpcNotification(d: NotificationDescriptor): OpenRpcNotification {
  return { name: d.method, summary: d.summary, paramStructure: 'by-name', params: paramsOf(d.params) };
}

/** The document for `version` (the daemon's), over every descriptor in METHODS and NOTIFICATIONS. */
export function openRpcDocument(version: string): OpenRpcDocument {
  return {
    openrpc: OPENRPC_VERSION,
    info: { title: API_TITLE, version },
    methods: Object.values<MethodDescriptor>(METHODS).map(openRpcMethod),
    'x-notifications': Object.values<NotificationDescriptor>(NOTIFICATIONS).map(openRpcNotification),
  };
}
