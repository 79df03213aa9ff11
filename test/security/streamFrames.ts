import WebSocket from 'ws';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { ROUTES } from '../../src/http/routes.js';

/** Twilio Media Streams frames as Twilio writes them, for tests that speak the protocol by hand. */

const SILENCE = Buffer.alloc(160, 0xff).toString('base64');

export const startFrame = (callSid: string, streamSid: string, extra: Record<string, string> = {}): string =>
  JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    start: {
      accountSid: 'AC00000000000000000000000000000000',
      streamSid,
      callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: { callSid, from: '+14045550111', ...extra },
    },
    streamSid,
  });

export const mediaFrame = (streamSid: string, n = 1, payload = SILENCE): string =>
  `{"event":"media","sequenceNumber":"${n + 1}","media":{"track":"inbound","chunk":"${n}","timestamp":"${n * 20}","payload":"${payload}"},"streamSid":"${streamSid}"}`;

export const markFrame = (streamSid: string, name: string): string =>
  JSON.stringify({ event: 'mark', sequenceNumber: '9', streamSid, mark: { name } });

export const stopFrame = (callSid: string, streamSid: string): string =>
  JSON.stringify({ event: 'stop', sequenceNumber: '99', streamSid, stop: { accountSid: 'AC0', callSid } });

/** A raw WebSocket to the lab's media stream endpoint (development mode: no signature). */
export async function openRawStream(lab: VoiceLab): Promise<RawStream> {
  const ws = new WebSocket(`ws://127.0.0.1:${lab.app.port}${ROUTES.stream}`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => undefined);
  const received: string[] = [];
  ws.on('message', (data) => received.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`)));
  });
  return {
    ws,
    closed,
    received,
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
  };
}

export interface RawStream {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  received: string[];
  send(data: string | Buffer): void;
  readonly isOpen: boolean;
}
