import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { LiveCall, LiveCalls } from '../admin/liveCalls.js';
import { sameHost, type AdminGate, type Principal } from './adminGate.js';
import type { HttpRequest, HttpResponse, WebSocketBehavior } from './uws.js';
import { SEND_DROPPED } from './transportTypes.js';

export interface LiveSocketData {
  principal: Principal | null;
  unsubscribe: (() => void) | null;
  /** A message was dropped under back-pressure: the next drain sends the whole list again. */
  behind: boolean;
  /** Closed: a reading of other instances' calls that comes later is not sent. */
  closed: boolean;
}

/**
 * What the page hears: this instance's whole list on connect (and after falling behind), then each changed call;
 * and every ELSEWHERE_EVERY_MS the calls other instances are running (the whole set: it replaces the last one).
 */
export type LiveMessage = { type: 'calls'; calls: LiveCall[] } | { type: 'call'; call: LiveCall } | { type: 'elsewhere'; calls: LiveCall[] };

/** How often the calls of other instances are read again and sent (one read for every socket open). */
export const ELSEWHERE_EVERY_MS = 2_000;

/**
 * `/admin/api/live`: the live calls over a WebSocket, for a signed-in operator (cookie session) or a bearer client.
 * The upgrade is refused (401) without one, and (403) from a page of another origin: a browser sends the cookie
 * with a cross-site WebSocket, so the Origin is what stops another site from reading calls.
 */
export function adminLiveSocket(deps: {
  gate: AdminGate;
  live: LiveCalls;
  elsewhere: () => Promise<LiveCall[]>;
  logger: Logger;
  elsewhereEveryMs?: number;
}): WebSocketBehavior<LiveSocketData> {
  type Socket = Parameters<NonNullable<WebSocketBehavior<LiveSocketData>['open']>>[0];
  // Most sends come from outside uWS's callbacks (a flush timer, a database read): each is corked, as uWS asks of a
  // send made there.
  const send = (ws: Socket, message: LiveMessage): void => {
    const data = ws.getUserData();
    if (data.closed) return;
    const text = JSON.stringify(message);
    let result = SEND_DROPPED;
    ws.cork(() => {
      result = ws.send(text, false, false);
    });
    if (result === SEND_DROPPED) data.behind = true;
  };
  // One reading of the other instances' calls for all open sockets, while any is open.
  const open = new Set<Socket>();
  let timer: NodeJS.Timeout | null = null;
  const sendElsewhere = (to: Iterable<Socket>): void => {
    const targets = [...to];
    deps
      .elsewhere()
      .then((calls) => {
        for (const ws of targets) send(ws, { type: 'elsewhere', calls });
      })
      .catch((error: unknown) => deps.logger.warn({ err: reasonOf(error) }, 'calls of other instances could not be read'));
  };
  return {
    maxPayloadLength: 1024,
    idleTimeout: 120,
    maxBackpressure: 4 * 1024 * 1024,
    upgrade: (res: HttpResponse, req: HttpRequest, context) => {
      const headers = {
        key: req.getHeader('sec-websocket-key'),
        protocol: req.getHeader('sec-websocket-protocol'),
        extensions: req.getHeader('sec-websocket-extensions'),
        cookie: req.getHeader('cookie'),
        authorization: req.getHeader('authorization'),
        origin: req.getHeader('origin'),
        host: req.getHeader('host'),
      };
      const state = { aborted: false };
      res.onAborted(() => {
        state.aborted = true;
      });
      const refuse = (status: string, text: string): void => {
        if (!state.aborted) res.cork(() => res.writeStatus(status).end(text));
      };
      void (async () => {
        if (!(await deps.gate.enabled())) return refuse('404 Not Found', 'not found');
        if (headers.origin !== '' && !sameHost(headers.origin, headers.host)) return refuse('403 Forbidden', 'cross-origin request refused');
        const principal = await deps.gate.authenticate(headers);
        if (principal === null) return refuse('401 Unauthorized', 'sign in first');
        if (state.aborted) return;
        const data: LiveSocketData = { principal, unsubscribe: null, behind: false, closed: false };
        res.cork(() => res.upgrade(data, headers.key, headers.protocol, headers.extensions, context));
      })().catch((error: unknown) => {
        deps.logger.warn({ err: reasonOf(error) }, 'live calls socket upgrade failed');
        refuse('500 Internal Server Error', 'upgrade failed');
      });
    },
    open: (ws) => {
      const data = ws.getUserData();
      send(ws, { type: 'calls', calls: deps.live.list() });
      data.unsubscribe = deps.live.subscribe((call) => {
        if (!data.behind) send(ws, { type: 'call', call });
      });
      open.add(ws);
      sendElsewhere([ws]);
      if (timer === null) {
        timer = setInterval(() => sendElsewhere(open), deps.elsewhereEveryMs ?? ELSEWHERE_EVERY_MS);
        timer.unref();
      }
    },
    // The page sends nothing; anything it does send is ignored.
    message: () => undefined,
    drain: (ws) => {
      const data = ws.getUserData();
      if (!data.behind || ws.getBufferedAmount() > 0) return;
      data.behind = false;
      send(ws, { type: 'calls', calls: deps.live.list() });
    },
    close: (ws, code) => {
      // The code only: a close reason is the client's text.
      deps.logger.debug({ event: 'live_socket_closed', code }, 'live calls socket closed');
      const data = ws.getUserData();
      data.closed = true;
      data.unsubscribe?.();
      open.delete(ws);
      if (open.size === 0 && timer !== null) {
        clearInterval(timer);
        timer = null;
      }
    },
  };
}
