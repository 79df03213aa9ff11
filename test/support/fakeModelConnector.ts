import { ModelConnectionError } from '../../src/errors.js';
import type { ModelConnector, ModelSocket, ModelSocketHandlers } from '../../src/realtime/modelConnection.js';
import { FakeModelSocket, modelEvents } from './relayFakes.js';

/**
 * How the fake connector answers a connect: 'open' hands back a socket at once; 'fail' rejects; 'hang' never opens
 * and rejects when aborted (as the real connector does); 'hang-past-abort' ignores the abort and opens only when the
 * test calls `open()`, like a server that answers after the caller stopped waiting.
 */
export type ConnectBehaviour = 'open' | 'fail' | 'hang' | 'hang-past-abort';

/** The socket of one fake connection: records client events like FakeModelSocket, and closes the way ws does. */
export class FakeConnectionSocket extends FakeModelSocket {
  private closeReported = false;

  constructor(
    private readonly handlers: ModelSocketHandlers,
    private readonly answerSessionUpdate: boolean,
  ) {
    super();
  }

  override send(data: string): boolean {
    const sent = super.send(data);
    // The real server confirms the session.update the relay starts with; the connect resolves only after it.
    if (sent && this.answerSessionUpdate && (JSON.parse(data) as { type: string }).type === 'session.update') {
      setImmediate(() => this.receive(modelEvents.sessionUpdated()));
    }
    return sent;
  }

  /** We closed it: ws reports the close afterwards, as expected. */
  override close(): void {
    super.close();
    setImmediate(() => this.reportClose('closed by us', true));
  }

  /** Server events (raw JSON), delivered as the socket's message handler gets them. */
  receive(...events: string[]): void {
    for (const event of events) if (this.open) this.handlers.onMessage(Buffer.from(event));
  }

  /** The server side drops the socket. */
  drop(reason = 'socket closed (1006)'): void {
    this.open = false;
    this.reportClose(reason, false);
  }

  private reportClose(reason: string, expected: boolean): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handlers.onClose(reason, expected);
  }
}

/** One connect the call made: what it passed, and its socket once open. */
export interface FakeConnection {
  readonly handlers: ModelSocketHandlers;
  readonly signal: AbortSignal;
  readonly socket: FakeConnectionSocket;
  /** Settled: the connect resolved (or rejected). */
  settled: boolean;
  /** Opens a hung connection now (resolves its connect with the socket). */
  open(): void;
}

/** An in-memory ModelConnector: every connect is recorded; how it answers is set by the test. */
export class FakeModelConnector implements ModelConnector {
  readonly connections: FakeConnection[] = [];
  behaviour: ConnectBehaviour = 'open';
  failure: Error = new ModelConnectionError('model connection refused: HTTP 503');
  /** Answer the relay's session.update with session.updated (off: the test sends it itself). */
  answerSessionUpdate = true;

  connect(handlers: ModelSocketHandlers, signal: AbortSignal): Promise<ModelSocket> {
    const behaviour = this.behaviour;
    const socket = new FakeConnectionSocket(handlers, this.answerSessionUpdate);
    return new Promise<ModelSocket>((resolve, reject) => {
      const connection: FakeConnection = {
        handlers,
        signal,
        socket,
        settled: false,
        open: () => {
          connection.settled = true;
          resolve(socket);
        },
      };
      this.connections.push(connection);
      const fail = (error: Error) => {
        connection.settled = true;
        reject(error);
      };
      if (behaviour === 'open') connection.open();
      else if (behaviour === 'fail') fail(this.failure);
      else if (behaviour === 'hang') {
        signal.addEventListener('abort', () => fail(new ModelConnectionError('model connection aborted')), { once: true });
      }
    });
  }

  /** The `index`th connection (throws until it exists: use inside vi.waitFor). */
  connection(index = 0): FakeConnection {
    const connection = this.connections[index];
    if (connection === undefined) throw new Error(`no model connection #${index} yet`);
    return connection;
  }
}
