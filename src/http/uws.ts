import { createRequire } from 'node:module';
import type * as NativeUws from 'uWebSockets.js';
import { AppError } from '../errors.js';
import { nodeTransport } from './nodeTransport.js';
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

/** Which transport serves HTTP and WebSockets in this process. */
export type TransportKind = 'uws-native' | 'node-http';

/** PSB_TRANSPORT asked for a transport this process cannot run. */
export class TransportUnavailableError extends AppError {}

/**
 * The native uWS binary for this Node ABI, or why there is none. Loaded directly rather than through the package's
 * entry point, which on an ABI it has no binary for (Node 22, 24) falls back to a JavaScript shim that cannot listen,
 * with only a console warning.
 */
function loadNativeUws(): { module: Transport; error: null } | { module: null; error: string } {
  const binary = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    // Typed as the package's own module, so the type check proves native uWS satisfies Transport.
    const native = createRequire(import.meta.url)(binary) as typeof NativeUws;
    return { module: native, error: null };
  } catch (error) {
    return { module: null, error: `no native uWebSockets.js for Node ${process.version} (ABI ${process.versions.modules}): ${(error as Error).message.split('\n')[0]}` };
  }
}

/**
 * Picks the transport once, at start-up: native uWS where its binary loads, node:http + ws (nodeTransport.ts)
 * otherwise. `PSB_TRANSPORT=uws|node` forces one (tests and the bench run both); forcing uws where it cannot load
 * throws. Read here, not in config.ts: the choice is made when this module loads, before any config is parsed, and
 * test files that build apps without a config must get the same transport as the app.
 */
export function chooseTransport(preference: string | undefined): { kind: TransportKind; transport: Transport; reason: string } {
  if (preference !== undefined && preference !== '' && preference !== 'uws' && preference !== 'node') {
    throw new TransportUnavailableError(`PSB_TRANSPORT must be uws or node, not ${JSON.stringify(preference)}`);
  }
  if (preference === 'node') return { kind: 'node-http', transport: nodeTransport, reason: 'PSB_TRANSPORT=node' };
  const native = loadNativeUws();
  if (native.module !== null) {
    return { kind: 'uws-native', transport: native.module, reason: preference === 'uws' ? 'PSB_TRANSPORT=uws' : 'native binary loaded' };
  }
  if (preference === 'uws') throw new TransportUnavailableError(`PSB_TRANSPORT=uws but ${native.error}`);
  return { kind: 'node-http', transport: nodeTransport, reason: native.error };
}

const chosen = chooseTransport(process.env['PSB_TRANSPORT']);

/** The transport in use; start-up logs it and /metrics shows it (psb_transport_info). */
export const transportKind: TransportKind = chosen.kind;
/** Why: the native binary loaded, PSB_TRANSPORT, or why the binary did not load (for the start-up log). */
export const transportReason: string = chosen.reason;
/** The transport module: `uWS.App()`, `uWS.us_socket_local_port`, `uWS.us_listen_socket_close`. */
export const uWS: Transport = chosen.transport;
/** Whether native uWS serves this process (kept for the `psb_uws_native` gauge and the bench). */
export const uwsIsNative: boolean = transportKind === 'uws-native';
