import uWS from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
export { uWS };

/**
 * The uWS republish silently falls back to a pure-JS shim when no native binary matches this Node ABI.
 * Only the native build exposes `getParts`; start-up logs which one is running.
 */
export const uwsIsNative: boolean = typeof (uWS as unknown as { getParts?: unknown }).getParts === 'function';

import type { WebSocketBehavior } from 'uWebSockets.js';
/** A WebSocket route's behaviour with typed per-socket data. */
export type WebSocketBehaviorOf<T> = WebSocketBehavior<T>;
