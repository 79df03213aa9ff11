import type { Config } from '../config.js';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Call } from '../calls/call.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { TwilioSink } from '../calls/relay.js';
import { streamTokenHash, type StreamTokens } from '../security/streamTokens.js';
import { readVoiceState } from '../db/entities/sessionState.js';
import { TokenBucket } from '../security/tokenBucket.js';
import { parseTwilioMessage } from '../twilio/mediaStreamMessages.js';
import { streamUrlFor, verifyTwilioSignature } from '../twilio/signature.js';
import { ROUTES } from './routes.js';
import type { Metrics } from './metrics.js';
import { hasQuery } from './twilioForm.js';
import type { HttpRequest, HttpResponse, WebSocketBehaviorOf } from './uws.js';

/** A Twilio message larger than this closes the socket (media frames are about 400 bytes). */
export const MAX_TWILIO_MESSAGE_BYTES = 64 * 1024;
/** Messages per second one stream may send: Twilio sends 50 media frames a second, plus marks and the odd event. */
export const STREAM_MESSAGES_PER_SECOND = 200;
/** Messages a stream may send at once above the rate (a burst after a network stall). */
export const STREAM_MESSAGE_BURST = 400;
/** Messages dropped by the rate limit before the socket is closed as abusive (5 s of flood at the limit). */
export const STREAM_MAX_DROPPED_MESSAGES = 1_000;
/** The custom stream parameter carrying the per-call token (see StreamTokens). */
export const STREAM_TOKEN_PARAMETER = 'streamToken';

/** WebSocket close code for a policy violation (RFC 6455). */
const POLICY_VIOLATION = 1008;
/** What uWS reports when a message exceeded maxPayloadLength (it closes the socket itself, code 1006). */
const UWS_TOO_BIG = 'Received too big message';

/** Caller frames kept while a stream's claim is being decided (at most 5 s of 20 ms frames). */
export const MAX_FRAMES_WHILE_CLAIMING = 250;

/** Claims a call's stream in its session row for this instance (SessionRepository.claimStream). */
export type StreamClaimer = (
  callSid: string,
  claim: { tokenHash: string | null; adopting: boolean },
) => Promise<{ status: 'claimed'; state: Record<string, unknown> } | { status: 'taken' | 'absent' }>;

/** Per-socket state. The socket may not be used after `closed` is set. */
export interface StreamSocketData {
  call: Call | null;
  /** The stream's claim is being decided (it came where its call was not pre-warmed): frames wait in `held`. */
  claiming: boolean;
  held: Array<{ payload: string; timestamp: number }>;
  closed: boolean;
  sink: TwilioSink | null;
  /** The streamSid of this socket's `start`; media for any other stream is ignored. */
  streamSid: string | null;
  stopped: boolean;
  bucket: TokenBucket;
  dropped: number;
}

export interface MediaStreamDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  /** Binds streams to their webhook in production mode (TWILIO_AUTH_TOKEN set). */
  streamTokens: StreamTokens;
  /** Claims a call's stream in the session row, so a stream landing on another instance can adopt the call. */
  claimStream: StreamClaimer;
}

/** `WS /twilio/voice/stream`: Twilio Media Streams. Every callback catches what it calls: a socket never throws. */
export function mediaStreamBehavior(deps: MediaStreamDeps): WebSocketBehaviorOf<StreamSocketData> {
  const { config, logger, registry, metrics, streamTokens, claimStream } = deps;
  const token = config.TWILIO_AUTH_TOKEN;
  /** Calls that have a stream: a second `start` for the same call must not take its audio over. */
  const streamed = new WeakSet<Call>();

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
        // The URL is ours (PUBLIC_URL), never the request's Host: a signature for another host or path fails.
        const url = config.PUBLIC_URL ? streamUrlFor(config.PUBLIC_URL, ROUTES.stream) : '';
        if (url === '' || hasQuery(req) || !verifyTwilioSignature({ authToken: token, signature, url, params: {} })) {
          metrics.count('twilio_signature_rejected_total');
          res.writeStatus('403 Forbidden').end('invalid signature');
          return;
        }
      }
      const data: StreamSocketData = {
        call: null,
        claiming: false,
        held: [],
        closed: false,
        sink: null,
        streamSid: null,
        stopped: false,
        bucket: new TokenBucket(STREAM_MESSAGES_PER_SECOND, STREAM_MESSAGE_BURST),
        dropped: 0,
      };
      res.upgrade(data, key, protocol, extensions, context);
    },

    open: (ws) => {
      const data = ws.getUserData();
      data.sink = {
        send: (message) => {
          if (!data.closed) ws.send(message, false, false);
        },
        // Outside uWS callbacks each send is its own write: corked, an audio frame and its mark share one.
        cork: (sends) => {
          if (data.closed) sends();
          else ws.cork(sends);
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
        const data = ws.getUserData();
        // Checked before parsing, so a flood costs this socket's owner nothing but a dropped frame.
        if (!data.bucket.take()) {
          metrics.count('twilio_messages_rate_limited_total');
          if (++data.dropped > STREAM_MAX_DROPPED_MESSAGES && !data.closed) {
            metrics.count('twilio_streams_closed_abusive_total');
            logger.warn({ dropped: data.dropped }, 'media stream closed: message flood');
            data.closed = true;
            ws.end(POLICY_VIOLATION, 'message rate exceeded');
          }
          return;
        }
        onMessage(data, message);
      } catch (error) {
        metrics.count('twilio_message_errors_total');
        logger.error({ err: reasonOf(error) }, 'media stream message failed');
      }
    },

    close: (ws, code, reason) => {
      const data = ws.getUserData();
      data.closed = true;
      try {
        if (code === 1006 && Buffer.from(reason).toString('latin1') === UWS_TOO_BIG) {
          metrics.count('twilio_messages_oversize_total');
        }
        // After our own hang-up the call has left the conversation and ignores it.
        data.call?.callerHungUp();
      } catch (error) {
        logger.error({ err: reasonOf(error) }, 'media stream close failed');
      }
    },
  };

  function refuse(data: StreamSocketData, counter: string): void {
    metrics.count(counter);
    data.sink?.close();
  }

  /** Gives the stream to its call (once per call); false when it was refused. */
  function bind(data: StreamSocketData, call: Call): boolean {
    if (data.sink === null) {
      refuse(data, 'calls_rejected_total');
      return false;
    }
    if (streamed.has(call)) {
      refuse(data, 'twilio_streams_duplicate_total');
      return false;
    }
    streamed.add(call);
    data.call = call;
    call.attachStream(data.sink, data.streamSid ?? '');
    return true;
  }

  /** Binds an adopted call and hands it what the stream sent meanwhile: the frames, and a hang-up. */
  function bindAndReplay(data: StreamSocketData, call: Call): void {
    const held = data.held;
    data.held = [];
    if (!bind(data, call)) return;
    for (const frame of held) call.relay.onCallerAudio(frame.payload, frame.timestamp);
    if (data.stopped || data.closed) call.callerHungUp();
  }

  function onMessage(data: StreamSocketData, raw: ArrayBuffer): void {
    const message = parseTwilioMessage(raw);
    switch (message.event) {
      case 'media':
        if (data.call === null && data.claiming) {
          if (data.held.length < MAX_FRAMES_WHILE_CLAIMING) data.held.push({ payload: message.media.payload, timestamp: message.media.timestamp });
          return;
        }
        if (data.call === null) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        if (message.streamSid !== data.streamSid) {
          metrics.count('twilio_messages_wrong_stream_total');
          return;
        }
        data.call.relay.onCallerAudio(message.media.payload, message.media.timestamp);
        return;
      case 'start': {
        if (data.call !== null || data.claiming || data.stopped) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        const params = message.start.customParameters;
        const callSid = params.callSid ?? message.start.callSid;
        const presented = params[STREAM_TOKEN_PARAMETER];
        data.streamSid = message.streamSid;
        const local = registry.get(callSid);
        if (local !== undefined) {
          // Production: only the call's own one-time token binds the stream to the call this webhook opened.
          if (token !== undefined && !streamTokens.consume(callSid, presented)) {
            refuse(data, 'twilio_streams_unbound_total');
            return;
          }
          if (!bind(data, local)) return;
          // The claim in the session row keeps the token one-time across instances; not waited for (the greeting is
          // not held for a database write): a stream another instance claimed first loses this one.
          // After the call's own session writes (the webhook's row may still be on its way on a slow database).
          void local.session
            .idle()
            .then(() => claimStream(callSid, { tokenHash: null, adopting: false }))
            .then(
            (claim) => {
              if (claim.status === 'taken') {
                logger.warn({ callSid }, 'stream closed: another instance had claimed its call');
                refuse(data, 'twilio_streams_claim_lost_total');
              }
            },
            (error: unknown) => logger.warn({ callSid, err: reasonOf(error) }, 'stream claim not recorded'),
          );
          return;
        }
        // Not pre-warmed here: the webhook ran on another instance (or, in development, nowhere). The session row
        // decides: claimed, the call is adopted under its lead id; taken, the stream is refused.
        if (token !== undefined && presented === undefined) {
          refuse(data, 'twilio_streams_unbound_total');
          return;
        }
        data.claiming = true;
        claimStream(callSid, { tokenHash: presented === undefined ? null : streamTokenHash(presented), adopting: true })
          .then((claim) => {
            data.claiming = false;
            if (claim.status === 'claimed') {
              const state = readVoiceState(claim.state);
              const call = registry.open(callSid, state.callerPhone ?? params.from ?? null, state.leadId);
              if (call === null) {
                refuse(data, 'calls_rejected_total');
                return;
              }
              metrics.count('calls_adopted_total');
              call.logger.info({ event: 'call_adopted' }, 'stream adopted from another instance');
              bindAndReplay(data, call);
            } else if (claim.status === 'absent' && token === undefined) {
              // Development: a stream without any webhook still becomes a call.
              const call = registry.open(callSid, params.from ?? null);
              if (call === null) refuse(data, 'calls_rejected_total');
              else bindAndReplay(data, call);
            } else {
              refuse(data, 'twilio_streams_unbound_total');
            }
          })
          .catch((error: unknown) => {
            data.claiming = false;
            logger.warn({ callSid, err: reasonOf(error) }, 'stream claim failed: stream refused');
            refuse(data, 'twilio_streams_unbound_total');
          });
        return;
      }
      case 'mark':
        if (data.call === null || message.streamSid !== data.streamSid) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        data.call.relay.onTwilioMark(message.mark.name);
        return;
      case 'stop':
        if (data.call === null && data.claiming && message.streamSid === data.streamSid) {
          // The adopted call hears of it once bound.
          data.stopped = true;
          return;
        }
        if (data.call === null || data.stopped || message.streamSid !== data.streamSid) {
          metrics.count('twilio_messages_out_of_order_total');
          return;
        }
        data.stopped = true;
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
