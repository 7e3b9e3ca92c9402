/**
 * The local API contract, shared by the daemon's server, its client, `snug rpc` and the TUI:
 * method and notification descriptors, the error table, the OpenRPC document. Pure: no I/O.
 */
export * from './descriptor.js';
export * from './errors.js';
export * from './membership.js';
export * from './methods.js';
export * from './notifications.js';
export * from './openrpc.js';
export * from './schemas.js';
