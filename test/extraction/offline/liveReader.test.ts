import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConversationSchema, type Conversation, type Turn } from '../../../src/leads/lead.js';
import { extractOffline } from '../../../src/extraction/offline/extractOffline.js';
import { LiveReader } from '../../../src/extraction/offline/liveReader.js';
import { SHARED_TRANSCRIPTS_DIR } from '../../support/sharedTranscripts.js';

const here = dirname(fileURLToPath(import.meta.url));
const NOW = new Date('2026-06-01T12:00:00Z');

const load = (dir: string, prefix: string): [string, Conversation][] =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .map((f) => [f, ConversationSchema.parse(JSON.parse(readFileSync(join(dir, f), 'utf8')))]);

const calls = [
  ...load(SHARED_TRANSCRIPTS_DIR, 'public-'),
  ...load(join(here, 'blind'), 'blind-'),
  ...load(join(here, 'fixtures'), ''),
];

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The transcript as a live call shows it, step by step: turns arrive in order, but a caller turn may first show
 * as a placeholder (empty or "...") and be filled in a few steps later, or arrive late, inserted before the
 * last turn. Every step ends with the true text of all turns shown so far being filled at some point.
 */
function liveSteps(turns: readonly Turn[], rnd: () => number): Turn[][] {
  const shown: Turn[] = [];
  const pending: { turn: Turn; at: Turn }[] = [];
  const steps: Turn[][] = [];
  for (const turn of turns) {
    const r = rnd();
    if (turn.role === 'user' && r < 0.25) {
      const placeholder: Turn = { role: 'user', text: rnd() < 0.5 ? '' : '...' };
      shown.push(placeholder);
      pending.push({ turn, at: placeholder });
    } else if (r < 0.35 && shown.length > 0) {
      shown.splice(shown.length - 1, 0, turn);
      steps.push([...shown]);
      // Moved back into place: the transcript settles in the call's order.
      shown.splice(shown.indexOf(turn), 1);
      shown.push(turn);
    } else shown.push(turn);
    steps.push([...shown]);
    while (pending.length > 0 && rnd() < 0.4) {
      const { turn: real, at } = pending.splice(Math.floor(rnd() * pending.length), 1)[0] ?? { turn, at: turn };
      shown[shown.indexOf(at)] = real;
      steps.push([...shown]);
    }
  }
  for (const { turn, at } of pending) shown[shown.indexOf(at)] = turn;
  steps.push([...shown]);
  return steps;
}

describe('LiveReader', () => {
  it('has the calls to replay', () => {
    expect(calls.length).toBeGreaterThan(100);
  });

  it.each(calls)('equals extractOffline at every step of a live transcript: %s', (_file, call) => {
    for (let seed = 1; seed <= 4; seed++) {
      const reader = new LiveReader(call.callerPhone ?? null, NOW);
      for (const turns of liveSteps(call.turns, random(seed * 7919 + call.turns.length))) {
        expect(reader.update(turns)).toEqual(extractOffline({ callerPhone: call.callerPhone ?? null, turns }, NOW));
      }
      expect(reader.update(call.turns)).toEqual(extractOffline(call, NOW));
    }
  });

  it('reads each appended turn once: work is linear in the call length', () => {
    const [, call] = calls[0] ?? ['', { turns: [] }];
    const long: Turn[] = Array.from({ length: 20 }, () => call.turns).flat();
    const reader = new LiveReader(null, NOW);
    for (let n = 1; n <= long.length; n++) reader.update(long.slice(0, n));
    expect(reader.turnsRead).toBe(long.length);
    // The same updates read from scratch each time would read n(n+1)/2 turns.
    expect(long.length * (long.length + 1) / 2).toBeGreaterThan(50 * reader.turnsRead);
  });

  it('a late transcription of an earlier turn reads from that turn on, no earlier', () => {
    const [, call] = calls[0] ?? ['', { turns: [] }];
    const turns = [...call.turns];
    const index = turns.findIndex((t) => t.role === 'user');
    const withGap = turns.map((t, i) => (i === index ? { role: 'user' as const, text: '' } : t));
    const reader = new LiveReader(call.callerPhone ?? null, NOW);
    reader.update(withGap);
    const before = reader.turnsRead;
    expect(reader.update(turns)).toEqual(extractOffline(call, NOW));
    expect(reader.turnsRead - before).toBe(turns.length - index);
    // An unchanged transcript reads nothing.
    reader.update(turns);
    expect(reader.turnsRead - before).toBe(turns.length - index);
  });

  it('is not fooled by the caller changing its turn objects after an update', () => {
    const turns: Turn[] = [
      { role: 'assistant', text: "What's your ZIP code?" },
      { role: 'user', text: '' },
    ];
    const reader = new LiveReader(null, NOW);
    reader.update(turns);
    const user = turns[1];
    if (user !== undefined) user.text = '30093.';
    expect(reader.update(turns).lead.zip_code).toBe('30093');
  });

  it('an empty transcript gives the empty lead, as extractOffline does', () => {
    expect(new LiveReader('+14045550123', NOW).update([])).toEqual(extractOffline({ callerPhone: '+14045550123', turns: [] }, NOW));
  });
});
