import WebSocket from 'ws';
import { ModelConnectionError } from '../errors.js';

/** What the relay needs from the model's socket: send text frames, know the backlog, close. */
export interface ModelSocket {
  /** Sends one JSON text frame; false when the socket is no longer open. */
  send(data: string): boolean;
  bufferedAmount(): number;
  close(): void;
}

export interface ModelSocketHandlers {
  onMessage(data: Buffer): void;
  /** The socket closed or failed; `expected` is true when we closed it ourselves. */
  onClose(reason: string, expected: boolean): void;
}

export interface ModelConnector {
  /** Opens the model's socket; rejects with ModelConnectionError on failure or abort. */
  connect(handlers: ModelSocketHandlers, signal: AbortSignal): Promise<ModelSocket>;
}

/** Connects to the OpenAI Realtime API (or any server speaking it) over `ws`, with a bearer key when given. */
export function createModelConnector(options: { url: string; model: string; apiKey: string | undefined }): ModelConnector {
  const target = new URL(options.url);
  if (!target.searchParams.has('model')) target.searchParams.set('model', options.model);
  const headers: Record<string, string> = {};
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;

  return {
    connect(handlers, signal) {
      return new Promise<ModelSocket>((resolve, reject) => {
        if (signal.aborted) {
          reject(new ModelConnectionError('model connection aborted'));
          return;
        }
        // Every event is parsed and checked by parseRealtimeEvent; ws's own UTF-8 pass over each frame is redundant work.
        const ws = new WebSocket(target, {
          headers,
          perMessageDeflate: false,
          maxPayload: 4 * 1024 * 1024,
          skipUTF8Validation: true,
        });
        let opened = false;
        let closedByUs = false;
        const onAbort = () => {
          closedByUs = true;
          ws.terminate();
          if (!opened) reject(new ModelConnectionError('model connection aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });

        ws.on('open', () => {
          opened = true;
          signal.removeEventListener('abort', onAbort);
          resolve({
            send: (data) => {
              if (ws.readyState !== WebSocket.OPEN) return false;
              ws.send(data);
              return true;
            },
            bufferedAmount: () => ws.bufferedAmount,
            close: () => {
              closedByUs = true;
              if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
            },
          });
        });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (!isBinary) handlers.onMessage(data);
        });
        ws.on('unexpected-response', (_req, res) => {
          const reason = `model connection refused: HTTP ${res.statusCode ?? 'error'}`;
          ws.terminate();
          if (!opened) reject(new ModelConnectionError(reason));
        });
        ws.on('error', (error) => {
          if (!opened) reject(new ModelConnectionError(`model connection failed: ${error.message}`));
        });
        ws.on('close', (code) => {
          signal.removeEventListener('abort', onAbort);
          if (!opened) {
            reject(new ModelConnectionError(`model connection closed before it opened (${code})`));
            return;
          }
          handlers.onClose(closedByUs ? 'closed by us' : `socket closed (${code})`, closedByUs);
        });
      });
    },
  };
}
