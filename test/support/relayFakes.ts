import type { ConversationItem } from 'openai/resources/realtime/realtime';
import type { TwilioSink } from '../../src/calls/relay.js';
import type { OutgoingEvent } from '../../src/fakes/fakeOpenAI/realtimeConnection.js';
import type { ModelSocket } from '../../src/realtime/modelConnection.js';
import { parseTwilioOutbound, type TwilioOutbound } from '../../src/twilio/mediaStreamMessages.js';

/**
 * In-memory fakes of the relay's two interfaces, recording what the relay sent, and the wire messages the other
 * ends would send it: model server events as the OpenAI Realtime GA API writes them, Twilio frames as Twilio does.
 */

/** A Twilio leg that records every frame, and which frames left in one socket write (a cork). */
export class FakeTwilioSink implements TwilioSink {
  /** Every frame sent, in order. */
  readonly frames: string[] = [];
  /** The frames grouped by socket write: a corked group is one entry, a plain send its own. */
  readonly writes: string[][] = [];
  closed = false;
  private corked: string[] | null = null;

  send(data: string): void {
    this.frames.push(data);
    if (this.corked !== null) this.corked.push(data);
    else this.writes.push([data]);
  }

  cork(sends: () => void): void {
    this.corked = [];
    try {
      sends();
    } finally {
      this.writes.push(this.corked);
      this.corked = null;
    }
  }

  close(): void {
    this.closed = true;
  }

  /** The frames parsed with the schema the fake Twilio caller uses; throws on a frame Twilio would not accept. */
  outbound(): TwilioOutbound[] {
    return this.frames.map(parseOutbound);
  }

  /** Names of the marks sent so far, in order. */
  markNames(): string[] {
    return this.outbound().flatMap((f) => (f.event === 'mark' ? [f.mark.name] : []));
  }
}

/** A sink without `cork`: the relay must fall back to plain sends. */
export function plainTwilioSink(): { sink: TwilioSink; frames: string[] } {
  const frames: string[] = [];
  return { sink: { send: (data) => void frames.push(data), close: () => undefined }, frames };
}

export function parseOutbound(frame: string): TwilioOutbound {
  const parsed = parseTwilioOutbound(frame);
  if (parsed.event === 'invalid') throw new Error(`relay sent Twilio an invalid frame (${parsed.reason}): ${frame}`);
  return parsed;
}

/** The model's socket: records client events; the backlog and whether it is open are set by the test. */
export class FakeModelSocket implements ModelSocket {
  readonly sent: string[] = [];
  backlogBytes = 0;
  open = true;
  closeCalls = 0;

  send(data: string): boolean {
    if (!this.open) return false;
    this.sent.push(data);
    return true;
  }

  bufferedAmount(): number {
    return this.backlogBytes;
  }

  close(): void {
    this.closeCalls++;
    this.open = false;
  }

  /** The client events sent, parsed. */
  events(): Array<{ type: string; [key: string]: unknown }> {
    return this.sent.map((s) => JSON.parse(s) as { type: string; [key: string]: unknown });
  }
}

// ---- model server events (GA protocol), typed by the openai SDK's server event union ----

let eventCounter = 0;

/** One server event as the wire carries it: `event_id` first, then the event (as the fake OpenAI server writes it). */
export function serverEvent(event: OutgoingEvent): string {
  return JSON.stringify({ event_id: `event_${++eventCounter}`, ...event });
}

const RESPONSE_ID = 'resp_1';

export const modelEvents = {
  sessionUpdated: (): string =>
    serverEvent({ type: 'session.updated', session: { type: 'realtime', model: 'gpt-realtime' } }),
  audioDelta: (itemId: string, deltaB64: string): string =>
    serverEvent({
      type: 'response.output_audio.delta',
      response_id: RESPONSE_ID,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: deltaB64,
    }),
  audioDone: (itemId: string): string =>
    serverEvent({
      type: 'response.output_audio.done',
      response_id: RESPONSE_ID,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
    }),
  agentTranscriptDone: (itemId: string, transcript: string): string =>
    serverEvent({
      type: 'response.output_audio_transcript.done',
      response_id: RESPONSE_ID,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      transcript,
    }),
  itemAdded: (itemId: string, role: 'user' | 'assistant', previousItemId: string | null): string => {
    const item: ConversationItem =
      role === 'user'
        ? { id: itemId, object: 'realtime.item', type: 'message', role, status: 'completed', content: [{ type: 'input_audio' }] }
        : { id: itemId, object: 'realtime.item', type: 'message', role, status: 'in_progress', content: [] };
    return serverEvent({ type: 'conversation.item.added', item, previous_item_id: previousItemId });
  },
  callerTranscript: (itemId: string, transcript: string): string =>
    serverEvent({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: itemId,
      content_index: 0,
      transcript,
      usage: { type: 'duration', seconds: 1 },
    }),
  callerTranscriptFailed: (itemId: string): string =>
    serverEvent({
      type: 'conversation.item.input_audio_transcription.failed',
      item_id: itemId,
      content_index: 0,
      error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'Audio could not be transcribed' },
    }),
  speechStarted: (itemId: string, audioStartMs: number): string =>
    serverEvent({ type: 'input_audio_buffer.speech_started', audio_start_ms: audioStartMs, item_id: itemId }),
  endCall: (callId: string, itemId = 'item_fc'): string =>
    serverEvent({
      type: 'response.function_call_arguments.done',
      response_id: RESPONSE_ID,
      item_id: itemId,
      output_index: 0,
      call_id: callId,
      name: 'end_call',
      arguments: '{}',
    }),
  recordLeadField: (callId: string, args: { field: string; value: string } | string, itemId = 'item_rf'): string =>
    serverEvent({
      type: 'response.function_call_arguments.done',
      response_id: RESPONSE_ID,
      item_id: itemId,
      output_index: 0,
      call_id: callId,
      name: 'record_lead_field',
      arguments: typeof args === 'string' ? args : JSON.stringify(args),
    }),
  responseDone: (): string =>
    serverEvent({
      type: 'response.done',
      response: { id: RESPONSE_ID, object: 'realtime.response', status: 'completed', output: [] },
    }),
};

// ---- Twilio frames as Twilio writes them ----

/** An inbound media frame in Twilio's own layout (strings for counters, streamSid last). */
export function twilioInboundMedia(streamSid: string, chunk: number, payloadB64: string): string {
  return JSON.stringify({
    event: 'media',
    sequenceNumber: String(chunk + 1),
    media: { track: 'inbound', chunk: String(chunk), timestamp: String(chunk * 20), payload: payloadB64 },
    streamSid,
  });
}

/** Twilio echoing a mark once the audio before it has played. */
export function twilioInboundMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', sequenceNumber: '9', streamSid, mark: { name } });
}

/** 20 ms of mu-law (160 bytes) whose first two bytes carry `n`, so frames can be told apart and their order checked. */
export function numberedFrame(n: number, bytes = 160): string {
  const frame = Buffer.alloc(bytes, 0xff);
  frame.writeUInt16BE(n, 0);
  return frame.toString('base64');
}
