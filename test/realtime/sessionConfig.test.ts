import { describe, expect, it } from 'vitest';
import { AGENT_INSTRUCTIONS, END_CALL_TOOL } from '../../src/realtime/agentInstructions.js';
import { RECORD_LEAD_FIELD_TOOL } from '../../src/realtime/recordLeadField.js';
import { buildSessionUpdate, VAD_SILENCE_DURATION_MS } from '../../src/realtime/sessionConfig.js';

describe('buildSessionUpdate', () => {
  it('is a GA session.update for mu-law in and out with server VAD and transcription', () => {
    const event = buildSessionUpdate({ voice: 'marin' });
    expect(event.type).toBe('session.update');
    expect(event.session).toMatchObject({
      type: 'realtime',
      output_modalities: ['audio'],
      instructions: AGENT_INSTRUCTIONS,
      tool_choice: 'auto',
      tools: [END_CALL_TOOL, RECORD_LEAD_FIELD_TOOL],
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-mini-transcribe' },
          turn_detection: { type: 'server_vad', silence_duration_ms: VAD_SILENCE_DURATION_MS, interrupt_response: true },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
    });
    // It goes over the wire as JSON: nothing may be lost in serialisation.
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('takes instructions, tools and silence from the caller', () => {
    const event = buildSessionUpdate({ voice: 'cedar', instructions: 'Be brief.', tools: [], silenceDurationMs: 500 });
    expect(event.session).toMatchObject({
      instructions: 'Be brief.',
      tools: [],
      audio: { input: { turn_detection: { silence_duration_ms: 500 } }, output: { voice: 'cedar' } },
    });
  });
});
