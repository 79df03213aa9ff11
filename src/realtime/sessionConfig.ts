import type { RealtimeToolsConfig, SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import { AGENT_INSTRUCTIONS, END_CALL_TOOL } from './agentInstructions.js';
import { RECORD_LEAD_FIELD_TOOL } from './recordLeadField.js';

/** How long the caller must be silent before the model answers. Callers pause while reading ZIPs and spelling names. */
export const VAD_SILENCE_DURATION_MS = 700;
/** Audio kept from before speech was detected, so the first syllable is not cut. */
export const VAD_PREFIX_PADDING_MS = 300;
export const VAD_THRESHOLD = 0.5;
export const TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/** Words the transcriber should expect on this line: power sport makes are often misheard. */
const TRANSCRIPTION_PROMPT =
  'A caller selling a power sport vehicle gives their name, ZIP code, phone number, and the vehicle year, make and ' +
  'model. Makes: Honda, Yamaha, Kawasaki, Suzuki, Polaris, Can-Am, Sea-Doo, Ski-Doo, Arctic Cat, KTM, Harley-Davidson.';

export interface SessionOptions {
  voice: string;
  instructions?: string;
  tools?: RealtimeToolsConfig;
  silenceDurationMs?: number;
}

/**
 * The GA `session.update` for a phone call: mu-law 8 kHz in and out (no transcoding), server VAD that interrupts the
 * response when the caller speaks, input transcription on, audio-only output.
 */
export function buildSessionUpdate(options: SessionOptions): SessionUpdateEvent {
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['audio'],
      instructions: options.instructions ?? AGENT_INSTRUCTIONS,
      tools: options.tools ?? [END_CALL_TOOL, RECORD_LEAD_FIELD_TOOL],
      tool_choice: 'auto',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: TRANSCRIPTION_MODEL, language: 'en', prompt: TRANSCRIPTION_PROMPT },
          turn_detection: {
            type: 'server_vad',
            threshold: VAD_THRESHOLD,
            prefix_padding_ms: VAD_PREFIX_PADDING_MS,
            silence_duration_ms: options.silenceDurationMs ?? VAD_SILENCE_DURATION_MS,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: {
          format: { type: 'audio/pcmu' },
          voice: options.voice,
        },
      },
    },
  };
}
