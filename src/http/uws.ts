import uWSNative from 'uWebSockets.js';
import type { Transport, WebSocketBehavior } from './transportTypes.js';

export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  Transport,
  WebSocket,
  WebSocketBehavior,
  us_listen_socket,
  us_socket_context_t,
} from './transportTypes.js';
/** A WebSocket route's behaviour with typed per-socket data. */
export type WebSocketBehaviorOf<T> = WebSocketBehavior<T>;

/** The transport module: `uWS.App()`, `uWS.us_socket_local_port`, `uWS.us_listen_socket_close`. */
export const uWS: Transport = uWSNative;

/**
 * The uWS republish silently falls back to a pure-JS shim when no native binary matches this Node ABI.
 * Only the native build exposes `getParts`; start-up logs which one is running.
 */
export const uwsIsNative: boolean = typeof (uWSNative as unknown as { getParts?: unknown }).getParts === 'function';
