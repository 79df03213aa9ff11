import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import type { UpgradeContext } from './nodeHttpResponse.js';
import { arrayBufferOf, detach, ownBytes } from './transportBytes.js';
import { SEND_BACKPRESSURE, SEND_DROPPED, SEND_SUCCESS, type RecognizedString, type WebSocket, type WebSocketBehavior } from './transportTypes.js';

/** uWS's words, so a misuse reads the same on both transports. */
const CLOSED = 'Invalid access of closed uWS.WebSocket/SSLWebSocket.';
/** uWS's defaults (its typings). */
const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024;
const DEFAULT_MAX_BACKPRESSURE_BYTES = 64 * 1024;
const DEFAULT_IDLE_TIMEOUT_S = 120;
const MIN_IDLE_TIMEOUT_S = 8;
/** A close frame's reason is at most 123 bytes (RFC 6455); uWS cuts a longer one short on the wire. */
const MAX_CLOSE_REASON_BYTES = 123;
/** What uWS hands the close handler when it closes a socket for a protocol error (code 1006), by ws's error code. */
const PROTOCOL_ERRORS: Readonly<Record<string, string>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'Received too big message',
  WS_ERR_INVALID_UTF8: 'Received invalid UTF-8',
};
/** uWS's reason for an idle close. */
const IDLE_CLOSE_REASON = 'WebSocket timed out from inactivity';
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;
const EMPTY = new ArrayBuffer(0);

/** One pass a second over a route's open sockets: a ping after half the idle timeout, a close after all of it. */
const IDLE_SWEEP_MS = 1_000;

/** A WebSocket route of the node transport; the `context` its upgrade handler is given. */
export class NodeWsRoute<UserData> implements UpgradeContext {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<NodeWebSocket<UserData>>();
  private sweeper: NodeJS.Timeout | null = null;
  readonly maxBackpressure: number;
  private readonly idleTimeoutS: number;

  constructor(readonly behavior: WebSocketBehavior<UserData>) {
    this.maxBackpressure = behavior.maxBackpressure ?? DEFAULT_MAX_BACKPRESSURE_BYTES;
    this.idleTimeoutS = behavior.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S;
    // uWS refuses these (it terminates the process): refused here too, so what runs on one transport runs on both.
    if (this.idleTimeoutS !== 0 && this.idleTimeoutS < MIN_IDLE_TIMEOUT_S) throw new RangeError('idleTimeout must be either 0 or greater than 8!');
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: behavior.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_BYTES,
      // uWS answers with the first protocol of what the upgrade handler passed on.
      handleProtocols: (protocols) => protocols.values().next().value ?? false,
    });
  }

  completeUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, userData: unknown): void {
    // ws answers an invalid handshake (version, key) with 400 itself and never calls back.
    this.server.handleUpgrade(request, socket, head, (ws) => {
      // uWS copies the user data's own fields onto its socket object: not the object given, the same fields.
      const wrapper = new NodeWebSocket<UserData>(ws, socket, { ...(userData as object) } as UserData, this);
      this.opened(wrapper);
      this.behavior.open?.(wrapper);
    });
  }

  closed(socket: NodeWebSocket<UserData>): void {
    this.sockets.delete(socket);
    if (this.sockets.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  private opened(socket: NodeWebSocket<UserData>): void {
    this.sockets.add(socket);
    if (this.idleTimeoutS > 0 && this.sweeper === null) {
      this.sweeper = setInterval(() => {
        for (const open of [...this.sockets]) open.idleTick(this.idleTimeoutS);
      }, IDLE_SWEEP_MS);
      this.sweeper.unref();
    }
  }
}

/**
 * A uWS-style WebSocket over a `ws` socket. As in uWS: `end` and `close` run the close handler before they return,
 * anything but `getUserData` throws once closed, a message's ArrayBuffer is emptied after the message handler,
 * `send` reports back-pressure (0), success (1) or a message dropped over `maxBackpressure` (2), and `drain` follows
 * back-pressure once the buffer is empty.
 */
export class NodeWebSocket<UserData> implements WebSocket<UserData> {
  private isClosed = false;
  private corkDepth = 0;
  /** Bytes buffered when the outermost cork began: back-pressure inside a cork is what was there before it. */
  private corkBase = 0;
  private wantDrain = false;
  /** Anything received since the last idle tick (a message, a ping, a pong). */
  private heard = false;
  private idleSeconds = 0;
  private pinged = false;

  constructor(
    private readonly ws: WsSocket,
    private readonly socket: Duplex,
    private readonly userData: UserData,
    private readonly route: NodeWsRoute<UserData>,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.heard = true;
      if (this.isClosed) return;
      const message = arrayBufferOf(data);
      try {
        route.behavior.message?.(this, message, isBinary);
      } finally {
        detach(message);
      }
    });
    ws.on('ping', this.hear);
    ws.on('pong', this.hear);
    ws.on('error', (error: Error & { code?: string }) => {
      if (!this.isClosed) this.fail(PROTOCOL_ERRORS[error.code ?? ''] ?? '');
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.isClosed) return;
      this.isClosed = true;
      route.closed(this);
      route.behavior.close?.(this, code, arrayBufferOf(reason));
    });
    socket.on('drain', this.flushed);
  }

  send(message: RecognizedString, isBinary = false): number {
    this.check();
    const before = this.ws.bufferedAmount;
    if (this.route.maxBackpressure > 0 && before > this.route.maxBackpressure) return SEND_DROPPED;
    const queued = this.corkDepth > 0 ? this.corkBase > 0 : before > 0;
    // Behind other data, this frame's write callback is the moment the buffer may have drained.
    this.ws.send(typeof message === 'string' ? message : ownBytes(message), isBinary ? BINARY : TEXT, queued ? this.flushed : undefined);
    const pressured = this.corkDepth > 0 ? queued : this.ws.bufferedAmount > 0;
    if (!pressured) return SEND_SUCCESS;
    this.wantDrain = true;
    return SEND_BACKPRESSURE;
  }

  getBufferedAmount(): number {
    this.check();
    return this.ws.bufferedAmount;
  }

  end(code?: number, shortMessage?: RecognizedString): void {
    this.check();
    this.isClosed = true;
    this.route.closed(this);
    const reason = shortMessage === undefined ? Buffer.alloc(0) : ownBytes(shortMessage);
    this.ws.close(code, reason.subarray(0, MAX_CLOSE_REASON_BYTES));
    this.route.behavior.close?.(this, code ?? 0, arrayBufferOf(reason));
  }

  close(): void {
    this.check();
    this.fail('');
  }

  cork(cb: () => void): this {
    this.check();
    if (this.corkDepth++ === 0) {
      this.corkBase = this.ws.bufferedAmount;
      this.socket.cork();
    }
    try {
      cb();
    } finally {
      if (--this.corkDepth === 0) this.socket.uncork();
    }
    return this;
  }

  getUserData(): UserData {
    return this.userData;
  }

  /** Called by the route once a second: pings a quiet peer, closes one that stayed silent for the whole timeout. */
  idleTick(idleTimeoutS: number): void {
    if (this.isClosed) return;
    if (this.heard) {
      this.heard = false;
      this.idleSeconds = 0;
      this.pinged = false;
      return;
    }
    this.idleSeconds++;
    if (this.idleSeconds >= idleTimeoutS) this.fail(IDLE_CLOSE_REASON);
    else if (!this.pinged && this.idleSeconds * 2 >= idleTimeoutS) {
      this.pinged = true;
      this.ws.ping();
    }
  }

  private readonly hear = (): void => {
    this.heard = true;
  };

  private readonly flushed = (): void => {
    if (!this.wantDrain || this.isClosed || this.ws.bufferedAmount > 0) return;
    this.wantDrain = false;
    this.route.behavior.drain?.(this);
  };

  /** Closes without a close frame, as uWS does on a protocol error, a timeout or `close()`: 1006 to the handler. */
  private fail(message: string): void {
    this.isClosed = true;
    this.route.closed(this);
    this.ws.terminate();
    this.route.behavior.close?.(this, 1006, message === '' ? EMPTY : arrayBufferOf(Buffer.from(message, 'latin1')));
  }

  private check(): void {
    if (this.isClosed) throw new Error(CLOSED);
  }
}
