import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { arrayBufferOf, asText, detach, ownBytes } from './transportBytes.js';
import type { HttpResponse, RecognizedString, us_socket_context_t } from './transportTypes.js';

/** uWS's words, so a misuse reads the same on both transports. */
const GONE =
  'uWS.HttpResponse must not be accessed after uWS.HttpResponse.onAborted callback, or after a successful response. See documentation for uWS.HttpResponse and consult the user manual.';
const UNANSWERED = 'Returning from a request handler without responding or attaching an abort handler is forbidden!';

/** A WebSocket route, as the `context` its upgrade handler is given: it completes the upgrade `res.upgrade` asks for. */
export interface UpgradeContext extends us_socket_context_t {
  completeUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, userData: unknown): void;
}

/** The raw socket of a request that came as an HTTP upgrade (node's 'upgrade' event), before any answer. */
export interface UpgradeSocket {
  socket: Duplex;
  head: Buffer;
}

const STATUS_LINE = /^(\d{3})(?: (.*))?$/;
const EMPTY = Buffer.alloc(0);

/**
 * A uWS-style response over node's ServerResponse. Status and headers are held until the first body byte, so the
 * Content-Length uWS writes can be written too: `end(body)` and `tryEnd(chunk, total)` send one, `write` goes chunked.
 * Every node write takes the whole chunk (node buffers what the socket cannot take yet), so `tryEnd` under
 * back-pressure answers not ok with all of it taken: the retry from `onWritable` has nothing left to send.
 * A request that came as an upgrade has no ServerResponse until it is answered without upgrading (a 403, a 404).
 */
export class NodeHttpResponse implements HttpResponse {
  /** Ended, aborted, closed or upgraded: any further call throws. */
  private done = false;
  private out: ServerResponse | null;
  private status: { code: number; text: string | undefined } | null = null;
  private readonly headers: string[] = [];
  private writeOffset = 0;
  private abortHandler: (() => void) | null = null;
  private dataHandler: ((chunk: ArrayBuffer, isLast: boolean) => void) | null = null;
  private writableHandler: ((offset: number) => boolean) | null = null;
  private drainListened = false;

  constructor(
    private readonly request: IncomingMessage,
    out: ServerResponse | null,
    private readonly upgradeSocket: UpgradeSocket | null,
  ) {
    this.out = out;
    const onClose = (): void => {
      if (!this.done) this.abort();
    };
    if (out !== null) out.once('close', onClose);
    else upgradeSocket?.socket.once('close', onClose);
  }

  writeStatus(status: RecognizedString): this {
    this.check();
    const match = STATUS_LINE.exec(asText(status));
    if (match === null) throw new TypeError(`not a status line: ${asText(status)}`);
    this.status = { code: Number(match[1]), text: match[2] };
    return this;
  }

  writeHeader(key: RecognizedString, value: RecognizedString): this {
    this.check();
    this.headers.push(asText(key), asText(value));
    return this;
  }

  write(chunk: RecognizedString): boolean {
    this.check();
    const bytes = ownBytes(chunk);
    const out = this.head(null, false);
    this.writeOffset += bytes.length;
    return out.write(bytes);
  }

  end(body?: RecognizedString, closeConnection = false): this {
    this.check();
    const bytes = body === undefined ? EMPTY : ownBytes(body);
    const out = this.head(this.writeOffset + bytes.length, closeConnection);
    this.writeOffset += bytes.length;
    this.done = true;
    out.end(bytes);
    return this;
  }

  tryEnd(fullBodyOrChunk: RecognizedString, totalSize: number): [boolean, boolean] {
    this.check();
    const bytes = ownBytes(fullBodyOrChunk);
    const out = this.head(totalSize, false);
    this.writeOffset += bytes.length;
    if (this.writeOffset >= totalSize) {
      this.done = true;
      out.end(bytes);
      return [true, true];
    }
    return [out.write(bytes), false];
  }

  close(): this {
    this.check();
    this.abort();
    if (this.out !== null) this.out.destroy();
    else this.upgradeSocket?.socket.destroy();
    return this;
  }

  getWriteOffset(): number {
    this.check();
    return this.writeOffset;
  }

  getRemoteAddressAsText(): ArrayBuffer {
    this.check();
    const bytes = new TextEncoder().encode(this.request.socket.remoteAddress ?? '');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  onWritable(handler: (offset: number) => boolean): this {
    this.check();
    this.writableHandler = handler;
    if (!this.drainListened) {
      this.drainListened = true;
      this.output().on('drain', () => {
        const current = this.writableHandler;
        if (this.done || current === null) return;
        if (current(this.writeOffset)) this.writableHandler = null;
      });
    }
    return this;
  }

  onAborted(handler: () => void): this {
    this.check();
    this.abortHandler = handler;
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.check();
    const attached = this.dataHandler !== null;
    this.dataHandler = handler;
    if (attached) return this;
    if (this.upgradeSocket !== null) {
      // An upgrade request's body is not read (what follows its head is WebSocket frames): it has none.
      process.nextTick(() => this.deliver(EMPTY, true));
      return this;
    }
    // uWS marks the last chunk; node tells the end apart, so each chunk waits for the next one or the end.
    let held: Buffer | null = null;
    this.request.on('data', (chunk: Buffer) => {
      if (held !== null) this.deliver(held, false);
      held = chunk;
    });
    this.request.once('end', () => this.deliver(held ?? EMPTY, true));
    return this;
  }

  cork(cb: () => void): this {
    this.check();
    const out = this.out;
    out?.cork();
    try {
      cb();
    } finally {
      out?.uncork();
    }
    return this;
  }

  upgrade<UserData>(
    userData: UserData,
    secWebSocketKey: RecognizedString,
    secWebSocketProtocol: RecognizedString,
    secWebSocketExtensions: RecognizedString,
    context: us_socket_context_t,
  ): void {
    this.check();
    if (this.upgradeSocket === null) {
      // A WebSocket key without `Upgrade: websocket` (node only hands real upgrades over with their socket).
      this.end('expected an HTTP upgrade', true);
      return;
    }
    this.done = true;
    const headers = this.request.headers;
    headers['sec-websocket-key'] = asText(secWebSocketKey);
    const protocol = asText(secWebSocketProtocol);
    if (protocol === '') delete headers['sec-websocket-protocol'];
    else headers['sec-websocket-protocol'] = protocol;
    headers['sec-websocket-extensions'] = asText(secWebSocketExtensions);
    (context as UpgradeContext).completeUpgrade(this.request, this.upgradeSocket.socket, this.upgradeSocket.head, userData);
  }

  /** After the route handler returned: uWS forbids leaving a request unanswered without an abort handler. */
  afterHandler(): void {
    if (!this.done && this.abortHandler === null) throw new Error(UNANSWERED);
    // A body nobody reads is drained, so the connection can serve its next request.
    if (this.dataHandler === null && this.upgradeSocket === null) this.request.resume();
  }

  private deliver(bytes: Buffer, isLast: boolean): void {
    const handler = this.dataHandler;
    if (this.done || handler === null) return;
    const chunk = arrayBufferOf(bytes);
    try {
      handler(chunk, isLast);
    } finally {
      detach(chunk);
    }
  }

  private abort(): void {
    this.done = true;
    const handler = this.abortHandler;
    this.abortHandler = null;
    handler?.();
  }

  /** The ServerResponse, made on the raw socket for an upgrade request answered without upgrading. */
  private output(): ServerResponse {
    if (this.out !== null) return this.out;
    const { socket } = this.upgradeSocket as UpgradeSocket;
    const out = new ServerResponse(this.request);
    out.assignSocket(socket as Socket);
    out.shouldKeepAlive = false;
    out.once('finish', () => {
      out.detachSocket(socket as Socket);
      socket.end();
    });
    this.out = out;
    return out;
  }

  /** Sends status and headers once, with the Content-Length when known. */
  private head(contentLength: number | null, closeConnection: boolean): ServerResponse {
    const out = this.output();
    if (out.headersSent) return out;
    const headers = [...this.headers];
    if (contentLength !== null) headers.push('Content-Length', String(contentLength));
    if (closeConnection) headers.push('Connection', 'close');
    const code = this.status?.code ?? 200;
    const text = this.status?.text;
    if (text === undefined) out.writeHead(code, headers);
    else out.writeHead(code, text, headers);
    return out;
  }

  private check(): void {
    if (this.done) throw new Error(GONE);
  }
}
