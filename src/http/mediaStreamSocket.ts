import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Call } from '../calls/call.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { TwilioSink } from '../calls/relay.js';
import { parseTwilioMessage } from '../twilio/mediaStreamMessages.js';
import { streamUrlFor, verifyTwilioSignature } from '../twilio/signature.js';
import type { Metrics } from './metrics.js';
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehaviorOf } from './uws.js';

/** A Twilio message larger than this closes the socket (media frames are about 400 bytes). */
export const MAX_TWILIO_MESSAGE_BYTES = 64 * 1024;

/** Per-socket state. The socket may not be used after `closed` is set. */
export interface StreamSocketData {
  call: Call | null;
  closed: boolean;
  sink: TwilioSink | null;
}

export interface MediaStreamDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
}

/** `WS /twilio/voice/stream`: Twilio Media Streams. Every callback catches what it calls: a socket never throws. */
export function mediaStreamBehavior(deps: MediaStreamDeps): WebSocketBehaviorOf<StreamSocketData> {
  const { config, logger, registry, metrics } = deps;
  const token = config.TWILIO_AUTH_TOKEN;

  return {
    maxPayloadLength: MAX_TWILIO_MESSAGE_BYTES,
    idleTimeout: 60,
    maxBackpressure: 1024 * 1024,

    upgrade: (res: HttpResponse, req: HttpRequest, context) => {
      // Everything from `req` must be read now: it is gone after this callback.
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (token !== undefined) {
        const signature = req.getHeader('x-twilio-signature');
        const url = streamUrlFor(config.PUBLIC_URL ?? '');
        if (!config.PUBLIC_URL || !verifyTwilioSignature({ authToken: token, signature, url, params: {} })) {
          metrics.count('twilio_signature_rejected_total');
          res.writeStatus('403 Forbidden').end('invalid signature');
          return;
        }
      }
      const data: StreamSocketData = { call: null, closed: false, sink: null };
      res.upgrade(data, key, protocol, extensions, context);
    },

    open: (ws) => {
      const data = ws.getUserData();
      data.sink = {
        send: (message) => {
          if (!data.closed) ws.send(message, false, false);
        },
        close: () => {
          if (data.closed) return;
          data.closed = true;
          ws.end(1000, 'call ended');
        },
      };
      metrics.count('twilio_streams_opened_total');
    },

    message: (ws, message) => {
      try {
        onMessage(ws, message);
      } catch (error) {
        metrics.count('twilio_message_errors_total');
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'media stream message failed');
      }
    },

    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      try {
        if (data.call !== null && !data.call.twilioEnded) data.call.callerHungUp();
      } catch (error) {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'media stream close failed');
      }
    },
  };

  function onMessage(ws: WebSocket<StreamSocketData>, raw: ArrayBuffer): void {
    const data = ws.getUserData();
    const message = parseTwilioMessage(raw);
    switch (message.event) {
      case 'media':
        if (data.call === null) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        data.call.relay.onCallerAudio(message.media.payload);
        return;
      case 'start': {
        if (data.call !== null) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        const params = message.start.customParameters;
        const callSid = params.callSid ?? message.start.callSid;
        // A stream without a webhook in this process (e.g. after a restart) still becomes a call.
        const call = registry.get(callSid) ?? registry.open(callSid, params.from ?? null);
        if (call === null || data.sink === null) {
          metrics.count('calls_rejected_total');
          data.sink?.close();
          return;
        }
        data.call = call;
        call.attachStream(data.sink, message.streamSid);
        return;
      }
      case 'mark':
        data.call?.relay.onTwilioMark(message.mark.name);
        return;
      case 'stop':
        if (data.call === null) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        data.call.callerHungUp();
        return;
      case 'connected':
      case 'dtmf':
        return;
      case 'invalid':
        metrics.count('twilio_messages_invalid_total');
        logger.debug({ reason: message.reason }, 'invalid Twilio message ignored');
        return;
    }
  }
}
