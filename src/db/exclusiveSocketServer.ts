import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../log.js';

const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
const CANCEL_REQUEST_CODE = 80877102;

/**
 * A PostgreSQL wire-protocol server in front of one PGlite instance that several clients (this process's pool and
 * a `leads` CLI in another process) can share safely.
 *
 * Why not PGLiteSocketServer with maxConnections > 1: it queues single protocol messages, so one client's
 * Parse/Bind/Execute/Sync can interleave with another's and bind the wrong unnamed statement. Here a connection takes
 * the database for a whole exchange (until Sync or a simple Query completes) and keeps it while it is inside a
 * transaction; others wait their turn.
 */
export class ExclusiveSocketServer {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #tail: Promise<void> = Promise.resolve();
  #holder: number | undefined;
  #nextId = 1;
  #port = 0;

  constructor(
    private readonly db: PGlite,
    private readonly logger: Logger,
  ) {}

  get port(): number {
    return this.#port;
  }

  /** Listen on 127.0.0.1 (port 0 = a free port chosen by the OS). */
  async start(port = 0): Promise<number> {
    const server = createServer((socket) => this.#serve(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    return this.#port;
  }

  /** Stop accepting, drop connected clients, and wait for the running exchange to finish. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#tail.catch(() => undefined);
  }

  #serve(socket: Socket): void {
    const id = this.#nextId++;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let startupDone = false;
    let release: (() => void) | undefined;
    let work: Promise<void> = Promise.resolve();

    const acquire = async (): Promise<void> => {
      if (release) return;
      const previous = this.#tail;
      let done!: () => void;
      this.#tail = new Promise<void>((resolve) => (done = resolve));
      await previous;
      this.#holder = id;
      release = () => {
        release = undefined;
        if (this.#holder === id) this.#holder = undefined;
        done();
      };
    };

    const run = async (message: Uint8Array): Promise<void> => {
      await acquire();
      await this.db.execProtocolRawStream(message, {
        onRawData: (data) => {
          if (data.length > 0 && socket.writable) socket.write(Buffer.from(data));
        },
      });
    };

    const handle = async (chunk: Buffer): Promise<void> => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!startupDone) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          const message = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
            socket.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST_CODE) continue;
          await run(new Uint8Array(message));
          release?.();
          startupDone = true;
          continue;
        }
        if (buffer.length < 5) return;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) return;
        const type = String.fromCharCode(buffer[0] ?? 0);
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (type === 'X') {
          socket.end();
          return;
        }
        await run(new Uint8Array(message));
        // An exchange ends at Sync or a simple Query; keep the database while a transaction is open.
        if ((type === 'S' || type === 'Q') && !this.db.isInTransaction()) release?.();
      }
    };

    socket.on('data', (chunk: Buffer) => {
      work = work.then(() => handle(chunk)).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'embedded database connection failed');
        socket.destroy();
      });
    });
    const cleanup = (): void => {
      this.#sockets.delete(socket);
      work = work.then(async () => {
        // A client that vanished inside a transaction must not leave it open for the next one.
        if (release && this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
        release?.();
      });
    };
    socket.on('close', cleanup);
    socket.on('error', () => socket.destroy());
  }
}
