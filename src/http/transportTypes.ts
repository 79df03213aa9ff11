/**
 * The part of the uWebSockets.js API this service uses, and nothing more: the native uWS module satisfies these
 * interfaces as it is, and the node:http + ws transport (nodeTransport.ts) implements exactly them. Code outside the
 * transports imports these types (through uws.ts), so a uWS call the fallback lacks fails the type check instead of
 * failing at run time on the transport nobody was looking at. The semantics are uWS's, documented where they bite.
 */

/** Strings or bytes, as uWS accepts them (its RecognizedString). */
export type RecognizedString = string | ArrayBuffer | ArrayBufferView;

/** An opaque listen token: pass it back to `us_socket_local_port` and `us_listen_socket_close` of the same transport. */
export interface us_listen_socket {}
/** An opaque per-route context handed to the upgrade handler, to be passed on to `res.upgrade`. */
export interface us_socket_context_t {}

/** `send` results: buffered behind earlier data, written, or dropped for exceeding `maxBackpressure`. */
export const SEND_BACKPRESSURE = 0;
export const SEND_SUCCESS = 1;
export const SEND_DROPPED = 2;

/** One HTTP request; readable only synchronously inside its route handler (it throws afterwards). */
export interface HttpRequest {
  /** A header by its lower-case name, or '' (the first one when repeated). */
  getHeader(lowerCaseKey: string): string;
  /** The route's `:name` parameter at `index`, undecoded, or ''. */
  getParameter(index: number): string;
  /** The path, without the query string. */
  getUrl(): string;
  /** The lower-case method. */
  getMethod(): string;
  /** The raw query string after `?`: '' for a bare `?`, undefined without one. */
  getQuery(): string | undefined;
}

/**
 * One HTTP response. Every method throws once the response ended or was aborted; a handler that returns without
 * answering must have called `onAborted` (uWS terminates the process otherwise).
 */
export interface HttpResponse {
  /** The status line's code and text, as `'200 OK'`; must come before any header. */
  writeStatus(status: RecognizedString): HttpResponse;
  writeHeader(key: RecognizedString, value: RecognizedString): HttpResponse;
  /** A chunk of a response of unknown length (chunked); false under back-pressure. */
  write(chunk: RecognizedString): boolean;
  /** Ends the response with this body (Content-Length set from it). */
  end(body?: RecognizedString, closeConnection?: boolean): HttpResponse;
  /**
   * Writes a chunk of a body of `totalSize` bytes (Content-Length): [ok, done]. Not ok: part of the chunk is still to
   * send; `onWritable(offset)` says when, and the rest starts at `offset` minus `getWriteOffset()` before this call.
   * Done: the whole body went out.
   */
  tryEnd(fullBodyOrChunk: RecognizedString, totalSize: number): [boolean, boolean];
  /** Cuts the connection at once; calls the abort handler. */
  close(): HttpResponse;
  /** Body bytes taken so far. */
  getWriteOffset(): number;
  /** The peer's address as text (`127.0.0.1`, `::1`, ...); readable only synchronously inside the handler. */
  getRemoteAddressAsText(): ArrayBuffer;
  /** Called with the write offset when the socket drains; return true when done with it. */
  onWritable(handler: (offset: number) => boolean): HttpResponse;
  /** Called when the client goes away before the response ended; nothing may touch `res` after. */
  onAborted(handler: () => void): HttpResponse;
  /** The request body, chunk by chunk; each ArrayBuffer is emptied when the callback returns (copy it). */
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): HttpResponse;
  /** Runs `cb` with writes batched into one; needed around writes made after an await. */
  cork(cb: () => void): HttpResponse;
  /** Turns this upgrade request into a WebSocket of the route `context` came with; `open` runs before it returns. */
  upgrade<UserData>(
    userData: UserData,
    secWebSocketKey: RecognizedString,
    secWebSocketProtocol: RecognizedString,
    secWebSocketExtensions: RecognizedString,
    context: us_socket_context_t,
  ): void;
}

/** A server-side WebSocket, usable from `open` until its `close` handler (sends then throw). */
export interface WebSocket<UserData> {
  /** SEND_SUCCESS, SEND_BACKPRESSURE (queued; `drain` follows) or SEND_DROPPED (over `maxBackpressure`). */
  send(message: RecognizedString, isBinary?: boolean, compress?: boolean): number;
  getBufferedAmount(): number;
  /** Graceful close with a close frame; the close handler runs before this returns. */
  end(code?: number, shortMessage?: RecognizedString): void;
  /** Abrupt close (no close frame); the close handler runs with 1006 before this returns. */
  close(): void;
  cork(cb: () => void): WebSocket<UserData>;
  /** The fields of the object given to `res.upgrade`, copied (uWS copies them onto the socket): mutate this one. */
  getUserData(): UserData;
}

/** A WebSocket route's settings and handlers, with uWS's defaults and meanings. */
export interface WebSocketBehavior<UserData> {
  /** Largest message accepted; a bigger one closes the socket (close handler: 1006, 'Received too big message'). Default 16 KiB. */
  maxPayloadLength?: number;
  /** Seconds without receiving anything before the socket is closed (pings are sent meanwhile); 0 disables. Default 120. */
  idleTimeout?: number;
  /** Bytes a socket may have buffered before `send` drops messages. Default 64 KiB. */
  maxBackpressure?: number;
  /** Runs while `req` is valid and before any socket exists: answer it (e.g. 403) or call `res.upgrade`. */
  upgrade?: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void | Promise<void>;
  open?: (ws: WebSocket<UserData>) => void | Promise<void>;
  /** `message` is valid only during the call (it is emptied afterwards), text or binary alike. */
  message?: (ws: WebSocket<UserData>, message: ArrayBuffer, isBinary: boolean) => void | Promise<void>;
  drain?: (ws: WebSocket<UserData>) => void;
  close?: (ws: WebSocket<UserData>, code: number, message: ArrayBuffer) => void;
}

export type RouteHandler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

/**
 * An app: routes use uWS patterns (`/static`, `/:param`, a final `/*`); the most specific pattern wins whatever the
 * order of registration (static before parameter before wildcard, then a method before `any`).
 */
export interface TemplatedApp {
  get(pattern: string, handler: RouteHandler): TemplatedApp;
  post(pattern: string, handler: RouteHandler): TemplatedApp;
  any(pattern: string, handler: RouteHandler): TemplatedApp;
  ws<UserData>(pattern: string, behavior: WebSocketBehavior<UserData>): TemplatedApp;
  listen(host: string, port: number, cb: (listenSocket: us_listen_socket | false) => void | Promise<void>): TemplatedApp;
}

/** What a transport module offers: the native uWS module or nodeTransport. */
export interface Transport {
  App(): TemplatedApp;
  us_socket_local_port(listenSocket: us_listen_socket): number;
  us_listen_socket_close(listenSocket: us_listen_socket): void;
}
