import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP gate in front of the fake OpenAI Realtime port, so a test decides when (and whether) the server's model
 * connection opens: `hold` keeps each new connection waiting; `release` pipes it through to the fake (the
 * connection then completes as usual); `refuse` answers the upgrade with HTTP 500; `openThenDrop` completes the
 * WebSocket handshake itself and then drops the socket, before any `session.updated` (a model socket that dies
 * while it is still being set up). Real sockets all the way: the server's own Realtime client sees each of these.
 */
export interface RealtimeGate {
  /** ws:// URL to use as OPENAI_REALTIME_URL. */
  readonly url: string;
  /** Connections that arrived so far (held or not). */
  readonly arrived: number;
  /** Resolves once `count` connections have arrived. */
  waitForArrivals(count?: number): Promise<void>;
  release(): void;
  refuse(): void;
  openThenDrop(): void;
  close(): Promise<void>;
}

type Mode = 'hold' | 'pass';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Starts a gate forwarding to 127.0.0.1:`targetPort()` (read when a connection passes), the path kept as it is. */
export async function startRealtimeGate(targetPort: () => number, mode: Mode = 'hold'): Promise<RealtimeGate> {
  let current: Mode = mode;
  let arrived = 0;
  const held: Array<{ socket: Socket; head: Buffer[] }> = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  const pass = (socket: Socket, head: Buffer[]): void => {
    const upstream = connect(targetPort(), '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    for (const chunk of head) upstream.write(chunk);
    socket.removeAllListeners('data');
    socket.pipe(upstream).pipe(socket);
    socket.resume();
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    arrived++;
    for (const waiter of [...waiters]) waiter();
    const head: Buffer[] = [];
    if (current === 'pass') return pass(socket, head);
    held.push({ socket, head });
    socket.on('data', (chunk: Buffer) => head.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  const takeHeld = () => held.splice(0, held.length).filter(({ socket }) => !socket.destroyed);

  return {
    url: `ws://127.0.0.1:${port}/v1/realtime`,
    get arrived() {
      return arrived;
    },
    waitForArrivals(count = 1) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (arrived < count) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    release() {
      current = 'pass';
      for (const { socket, head } of takeHeld()) pass(socket, head);
    },
    refuse() {
      for (const { socket } of takeHeld()) {
        const body = '{"error":{"message":"gate refused"}}';
        socket.end(
          `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    },
    openThenDrop() {
      for (const { socket, head } of takeHeld()) {
        const key = /sec-websocket-key:\s*(\S+)/i.exec(Buffer.concat(head).toString('latin1'))?.[1] ?? '';
        const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        // Give the client a moment to see the open, then drop TCP without a close frame.
        setTimeout(() => socket.destroy(), 20);
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
