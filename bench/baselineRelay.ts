import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * The baseline: a relay written the way most Twilio <-> OpenAI Realtime bridges are, after the widely copied
 * twilio-samples speech-assistant-openai-realtime-api-node (index.js): a `ws` server, `JSON.parse` of every message,
 * `JSON.stringify` of every message sent, a `mark` after every audio delta, and a model socket opened when Twilio's
 * socket connects. Kept deliberately plain: it is what the real relay is measured against. (It forwards the delta
 * as is; older copies of the sample also decode and re-encode the base64, which would only make the baseline slower.)
 */

export interface BaselineRelay {
  readonly port: number;
  readonly live: () => number;
  close(): Promise<void>;
}

interface TwilioMessage {
  event: string;
  start?: { streamSid: string };
  media?: { payload: string; timestamp: string };
  mark?: { name: string };
}
interface ModelEvent {
  type: string;
  delta?: string;
  item_id?: string;
}

/** Starts the baseline relay on 127.0.0.1, relaying to `modelUrl`. */
export async function startBaselineRelay(modelUrl: string): Promise<BaselineRelay> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server });
  let live = 0;

  wss.on('connection', (connection) => {
    live++;
    let streamSid: string | null = null;
    let latestMediaTimestamp = 0;
    let lastAssistantItem: string | null = null;
    let markQueue: string[] = [];
    let responseStartTimestampTwilio: number | null = null;

    const openAiWs = new WebSocket(`${modelUrl}?model=gpt-realtime`, { headers: { Authorization: 'Bearer sk-bench' } });

    const initializeSession = (): void => {
      const sessionUpdate = {
        type: 'session.update',
        session: {
          type: 'realtime',
          model: 'gpt-realtime',
          output_modalities: ['audio'],
          audio: {
            input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } },
            output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
          },
          instructions: 'You are a helpful assistant.',
        },
      };
      openAiWs.send(JSON.stringify(sessionUpdate));
      openAiWs.send(JSON.stringify({ type: 'response.create' }));
    };

    const sendMark = (): void => {
      if (streamSid) {
        connection.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'responsePart' } }));
        markQueue.push('responsePart');
      }
    };

    const handleSpeechStartedEvent = (): void => {
      if (markQueue.length > 0 && responseStartTimestampTwilio != null) {
        const elapsedTime = latestMediaTimestamp - responseStartTimestampTwilio;
        if (lastAssistantItem) {
          openAiWs.send(
            JSON.stringify({ type: 'conversation.item.truncate', item_id: lastAssistantItem, content_index: 0, audio_end_ms: elapsedTime }),
          );
        }
        connection.send(JSON.stringify({ event: 'clear', streamSid }));
        markQueue = [];
        lastAssistantItem = null;
        responseStartTimestampTwilio = null;
      }
    };

    openAiWs.on('open', initializeSession);
    openAiWs.on('message', (data: WebSocket.RawData) => {
      try {
        const response = JSON.parse(data.toString()) as ModelEvent;
        if (response.type === 'response.output_audio.delta' && response.delta) {
          connection.send(JSON.stringify({ event: 'media', streamSid, media: { payload: response.delta } }));
          if (!responseStartTimestampTwilio) responseStartTimestampTwilio = latestMediaTimestamp;
          if (response.item_id) lastAssistantItem = response.item_id;
          sendMark();
        }
        if (response.type === 'input_audio_buffer.speech_started') handleSpeechStartedEvent();
      } catch {
        // the sample logs and carries on
      }
    });
    openAiWs.on('error', () => undefined);

    connection.on('message', (message: WebSocket.RawData) => {
      try {
        const data = JSON.parse(message.toString()) as TwilioMessage;
        switch (data.event) {
          case 'media':
            latestMediaTimestamp = Number(data.media?.timestamp ?? 0);
            if (openAiWs.readyState === WebSocket.OPEN) {
              openAiWs.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: data.media?.payload }));
            }
            break;
          case 'start':
            streamSid = data.start?.streamSid ?? null;
            responseStartTimestampTwilio = null;
            latestMediaTimestamp = 0;
            break;
          case 'mark':
            if (markQueue.length > 0) markQueue.shift();
            break;
          default:
            break;
        }
      } catch {
        // the sample logs and carries on
      }
    });
    connection.on('close', () => {
      live--;
      if (openAiWs.readyState === WebSocket.OPEN || openAiWs.readyState === WebSocket.CONNECTING) openAiWs.close();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    live: () => live,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
