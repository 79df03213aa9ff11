import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeHttpRequest, splitTarget } from './nodeHttpRequest.js';
import { NodeHttpResponse } from './nodeHttpResponse.js';
import { NodeRouter } from './nodeRouter.js';
import { NodeWsRoute } from './nodeWebSocket.js';
import type { RouteHandler, TemplatedApp, Transport, WebSocketBehavior, us_listen_socket } from './transportTypes.js';

/** A route handler saying "not mine": the router tries the next match (uWS's `setYield`). */
const YIELD = Symbol('yield');
type Handler = (res: NodeHttpResponse, req: NodeHttpRequest) => unknown;

/** A WebSocket key is 16 bytes in base64; uWS treats a request without one as a plain GET (it yields). */
const WEBSOCKET_KEY_LENGTH = 24;

/** The node transport's listen token: what `us_socket_local_port` and `us_listen_socket_close` take. */
class NodeListenSocket implements us_listen_socket {
  constructor(readonly server: Server) {}
}

/**
 * uWS's App on node:http and `ws`, for a Node whose ABI the uWS binary does not cover. Same routes, same
 * request/response/WebSocket semantics (transportTypes.ts); node's own 'upgrade' requests go through the same router
 * so a WebSocket route, or the catch-all 404, answers them as uWS would.
 */
class NodeApp implements TemplatedApp {
  private readonly router = new NodeRouter<Handler>();

  get(pattern: string, handler: RouteHandler): this {
    return this.route('get', pattern, handler);
  }

  post(pattern: string, handler: RouteHandler): this {
    return this.route('post', pattern, handler);
  }

  any(pattern: string, handler: RouteHandler): this {
    return this.route('*', pattern, handler);
  }

  ws<UserData>(pattern: string, behavior: WebSocketBehavior<UserData>): this {
    const context = new NodeWsRoute<UserData>(behavior);
    this.router.add('get', pattern, (res, req) => {
      const key = req.getHeader('sec-websocket-key');
      if (key.length !== WEBSOCKET_KEY_LENGTH) return YIELD;
      if (behavior.upgrade !== undefined) return behavior.upgrade(res, req, context);
      res.upgrade({}, key, req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      return undefined;
    });
    return this;
  }

  listen(host: string, port: number, cb: (listenSocket: us_listen_socket | false) => void | Promise<void>): this {
    const server = createServer({ noDelay: true });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.dispatch(request, response, null));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Until ws owns it, an error on the raw socket must not go unhandled.
      socket.on('error', () => socket.destroy());
      this.dispatch(request, null, { socket, head });
    });
    const onError = (): void => void cb(false);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      void cb(new NodeListenSocket(server));
    });
    return this;
  }

  private route(method: string, pattern: string, handler: RouteHandler): this {
    this.router.add(method, pattern, handler);
    return this;
  }

  private dispatch(request: IncomingMessage, response: ServerResponse | null, upgrade: { socket: Duplex; head: Buffer } | null): void {
    const { path, query } = splitTarget(request.url ?? '/');
    const method = (request.method ?? 'GET').toLowerCase();
    const req = new NodeHttpRequest(request, path, query, method);
    const res = new NodeHttpResponse(request, response, upgrade);
    let handled = false;
    try {
      for (const { route, params } of this.router.match(method, path)) {
        req.params = params;
        if (route.handler(res, req) !== YIELD) {
          handled = true;
          break;
        }
      }
    } finally {
      req.invalidate();
    }
    if (!handled) {
      // No route at all: uWS closes the connection without an answer.
      res.close();
      return;
    }
    res.afterHandler();
  }
}

/** The node transport, with the uWS module's three entry points this service uses. */
export const nodeTransport: Transport = {
  App: () => new NodeApp(),
  us_socket_local_port: (listenSocket) => ((listenSocket as NodeListenSocket).server.address() as AddressInfo).port,
  us_listen_socket_close: (listenSocket) => {
    (listenSocket as NodeListenSocket).server.close();
  },
};
