import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from '../../src/calls/playbackTracker.js';

function setup() {
  let t = 1_000;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  return { clock, tracker: new PlaybackTracker({ now: clock.now, markIntervalMs: 100 }) };
}

describe('PlaybackTracker', () => {
  it('asks for a mark on the first chunk and then every 100 ms of audio, not after every delta', () => {
    const { tracker } = setup();
    const marks: (string | undefined)[] = [];
    for (let n = 0; n < 20; n++) marks.push(tracker.onAudioSent('item1', 160).mark); // 20 x 20 ms
    const asked = marks.filter((m) => m !== undefined);
    expect(marks[0]).toBeDefined();
    expect(asked.length).toBe(4); // at 20 ms, then at 120, 220, 320 ms
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('returns null on barge-in before any audio was sent', () => {
    const { tracker } = setup();
    expect(tracker.onBargeIn()).toBeNull();
    expect(tracker.heardMs('item1')).toBe(0);
    expect(tracker.isPlaying()).toBe(false);
  });

  it('counts wall-clock time from the last echoed mark, capped by the next pending mark and the audio sent', () => {
    const { tracker, clock } = setup();
    const first = tracker.onAudioSent('item1', 800).mark as string; // 100 ms
    const second = tracker.onAudioSent('item1', 8000).mark as string; // +1000 ms
    expect(second).toBeDefined();
    // Playback started when the first chunk was sent (Twilio was idle), but its mark has not come back:
    clock.advance(300);
    expect(tracker.heardMs('item1')).toBe(100); // not past the first unechoed mark
    expect(tracker.onMarkEchoed(first)).toEqual({ itemId: 'item1', final: false });
    clock.advance(250);
    expect(tracker.heardMs('item1')).toBe(350);
    clock.advance(10_000);
    expect(tracker.heardMs('item1')).toBe(1100); // the next mark (end of what was sent) caps it
    expect(tracker.isPlaying()).toBe(true);
  });

  it('truncates at what was heard and forgets the item, ignoring the marks a clear echoes back', () => {
    const { tracker, clock } = setup();
    const m1 = tracker.onAudioSent('item1', 800).mark as string;
    tracker.onAudioSent('item1', 800);
    const m2 = tracker.onAudioSent('item1', 800).mark as string;
    const end = tracker.onAudioDone('item1') as string;
    clock.advance(100);
    tracker.onMarkEchoed(m1);
    clock.advance(40);
    expect(tracker.onBargeIn()).toEqual({ itemId: 'item1', audioEndMs: 140 });
    // Twilio echoes the pending marks after the clear: they mean nothing now.
    expect(tracker.onMarkEchoed(m2)).toBeNull();
    expect(tracker.onMarkEchoed(end)).toBeNull();
    expect(tracker.isPlaying()).toBe(false);
    expect(tracker.onBargeIn()).toBeNull();
    // Late deltas and done events of the interrupted item are ignored.
    expect(tracker.onAudioSent('item1', 800)).toEqual({});
    expect(tracker.onAudioDone('item1')).toBeNull();
  });

  it('truncates at zero when audio was sent but none heard yet (playing behind an earlier item)', () => {
    const { tracker, clock } = setup();
    tracker.onAudioSent('item1', 1600);
    tracker.onAudioDone('item1');
    tracker.onAudioSent('item2', 800);
    clock.advance(100);
    expect(tracker.heardMs('item2')).toBe(0);
    expect(tracker.onBargeIn()).toEqual({ itemId: 'item2', audioEndMs: 0 });
  });

  it('starts the next item when the final mark of the one ahead of it echoes', () => {
    const { tracker, clock } = setup();
    tracker.onAudioSent('item1', 800);
    const end1 = tracker.onAudioDone('item1') as string;
    const m = tracker.onAudioSent('item2', 1600).mark as string;
    clock.advance(150);
    expect(tracker.heardMs('item2')).toBe(0);
    expect(tracker.onMarkEchoed(end1)).toEqual({ itemId: 'item1', final: true });
    clock.advance(120);
    expect(tracker.heardMs('item2')).toBe(120);
    clock.advance(500);
    expect(tracker.heardMs('item2')).toBe(200); // capped by its unechoed mark at 200 ms
    expect(tracker.onMarkEchoed(m)).toEqual({ itemId: 'item2', final: false });
  });

  it('reports when an item (the goodbye) has finished playing, after which barge-in has nothing to cut', () => {
    const { tracker, clock } = setup();
    const m1 = tracker.onAudioSent('bye', 800).mark as string;
    tracker.onAudioSent('bye', 400);
    const end = tracker.onAudioDone('bye') as string;
    expect(end).not.toBe(m1);
    clock.advance(100);
    expect(tracker.onMarkEchoed(m1)).toEqual({ itemId: 'bye', final: false });
    expect(tracker.isPlaying()).toBe(true);
    clock.advance(50);
    expect(tracker.onMarkEchoed(end)).toEqual({ itemId: 'bye', final: true });
    expect(tracker.isPlaying()).toBe(false);
    expect(tracker.heardMs('bye')).toBe(150);
    expect(tracker.onBargeIn()).toBeNull();
  });

  it('treats an echo as proof that every earlier mark has played', () => {
    const { tracker, clock } = setup();
    tracker.onAudioSent('i', 800);
    tracker.onAudioSent('i', 800);
    const m2 = tracker.onAudioSent('i', 800).mark as string;
    const end = tracker.onAudioDone('i') as string;
    clock.advance(10);
    expect(tracker.onMarkEchoed(m2)).toEqual({ itemId: 'i', final: false });
    expect(tracker.heardMs('i')).toBe(300);
    expect(tracker.onMarkEchoed(end)).toEqual({ itemId: 'i', final: true });
    expect(tracker.onMarkEchoed('never-sent')).toBeNull();
  });

  it('gives a final mark even for an item with no audio, so the relay can wait for queued audio', () => {
    const { tracker } = setup();
    const end = tracker.onAudioDone('silent');
    expect(end).toEqual(expect.any(String));
    expect(tracker.onMarkEchoed(end as string)).toEqual({ itemId: 'silent', final: true });
  });

  it('never reports negative or future time when the clock goes backwards', () => {
    const { tracker, clock } = setup();
    tracker.onAudioSent('i', 800);
    clock.advance(-500);
    expect(tracker.heardMs('i')).toBe(0);
    expect(tracker.heardMs('other')).toBe(0);
  });
});
