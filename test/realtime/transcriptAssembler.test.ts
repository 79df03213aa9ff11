import { describe, expect, it } from 'vitest';
import { INAUDIBLE, TranscriptAssembler } from '../../src/realtime/transcriptAssembler.js';

const texts = (t: TranscriptAssembler): string[] => t.turns().map((turn) => `${turn.role}:${turn.text}`);

describe('TranscriptAssembler', () => {
  it('orders turns by the item chain, not by when transcripts arrive', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a1', null, 'assistant');
    t.onAssistantTranscript('a1', 'Thanks for calling Power Sport Buyers! Your name?');
    t.onItemAdded('u1', 'a1', 'user');
    t.onItemAdded('a2', 'u1', 'assistant');
    // The agent's answer is transcribed before the caller's words.
    t.onAssistantTranscript('a2', 'Thanks, Sam. What is your ZIP?');
    expect(t.pendingCount()).toBe(1);
    expect(texts(t)).toEqual(['assistant:Thanks for calling Power Sport Buyers! Your name?', 'assistant:Thanks, Sam. What is your ZIP?']);
    t.onUserTranscript('u1', ' Sam Smith ');
    expect(t.pendingCount()).toBe(0);
    expect(texts(t)).toEqual([
      'assistant:Thanks for calling Power Sport Buyers! Your name?',
      'user:Sam Smith',
      'assistant:Thanks, Sam. What is your ZIP?',
    ]);
    expect(t.turns()[1]).toEqual({ role: 'user', text: 'Sam Smith', itemId: 'u1' });
  });

  it('orders items whose added events arrive out of order', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('u1', 'a1', 'user');
    t.onItemAdded('a2', 'u1', 'assistant');
    t.onItemAdded('a1', null, 'assistant');
    t.onUserTranscript('u1', 'hello');
    t.onAssistantTranscript('a2', 'second');
    t.onAssistantTranscript('a1', 'first');
    expect(texts(t)).toEqual(['assistant:first', 'user:hello', 'assistant:second']);
  });

  it('places transcripts that arrive before their item was added', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a1', null, 'assistant');
    t.onAssistantTranscript('a1', 'one');
    t.onUserTranscript('u1', 'two'); // added event not seen yet
    t.onItemAdded('a2', 'u1', 'assistant');
    t.onAssistantTranscript('a2', 'three');
    t.onItemAdded('u1', 'a1', 'user');
    expect(texts(t)).toEqual(['assistant:one', 'user:two', 'assistant:three']);
  });

  it('inserts an item after its predecessor ahead of older successors (linked-list insertion)', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a', null, 'assistant');
    t.onItemAdded('b', 'a', 'user');
    t.onItemAdded('c', 'a', 'assistant'); // inserted between a and b
    t.onItemAdded('d', 'c', 'user');
    for (const id of ['a', 'b', 'c', 'd']) t.onAssistantTranscript(id, id);
    expect(t.turns().map((x) => x.itemId)).toEqual(['a', 'c', 'd', 'b']);
  });

  it('keeps items without a role in the chain (function calls) but not in the turns', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a1', null, 'assistant');
    t.onItemAdded('f1', 'a1');
    t.onItemAdded('u1', 'f1', 'user');
    t.onAssistantTranscript('a1', 'Goodbye.');
    t.onUserTranscript('u1', 'bye');
    expect(texts(t)).toEqual(['assistant:Goodbye.', 'user:bye']);
  });

  it('records failed transcriptions as inaudible, flagged, and not pending', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a1', null, 'assistant');
    t.onItemAdded('u1', 'a1', 'user');
    t.onAssistantTranscript('a1', 'Your ZIP?');
    t.onUserTranscriptFailed('u1', 'audio_unintelligible');
    expect(t.pendingCount()).toBe(0);
    expect(t.turns()[1]).toEqual({ role: 'user', text: INAUDIBLE, itemId: 'u1', failed: true });
    // A late success replaces it; a failure never erases a transcript.
    t.onUserTranscript('u1', '90210');
    t.onUserTranscriptFailed('u1', 'late');
    expect(t.turns()[1]).toEqual({ role: 'user', text: '90210', itemId: 'u1' });
  });

  it('omits items with no text yet and empty transcripts', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('a1', null, 'assistant');
    t.onItemAdded('u1', 'a1', 'user');
    t.onItemAdded('u2', 'u1', 'user');
    t.onUserTranscript('u1', '   ');
    expect(t.turns()).toEqual([]);
    expect(t.pendingCount()).toBe(1);
  });

  it('survives a cycle in malformed ids without losing turns', () => {
    const t = new TranscriptAssembler();
    t.onItemAdded('x', 'y', 'user');
    t.onItemAdded('y', 'x', 'assistant');
    t.onUserTranscript('x', 'one');
    t.onAssistantTranscript('y', 'two');
    expect(texts(t)).toEqual(['user:one', 'assistant:two']);
  });
});
