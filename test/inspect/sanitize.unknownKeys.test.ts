import { describe, expect, it } from 'vitest';
import { redactInspectionEvent, sanitizeCallContext, sanitizeCallEvent } from '../../src/inspect/sanitize.js';
import { unaccountedStrings } from './feedStrings.js';

/**
 * Property-style: inspection events shaped like the call machine's, with personal data where the call puts it
 * (transcripts, readings, captures, extraction results, reasons, error messages and fields) and, at random places,
 * keys the sanitizer has never heard of (their names personal too) holding personal strings, nested objects and
 * lists; known enumerated keys given personal values instead of their enum. Whatever the mix, nothing personal
 * comes out, and every string that does is under a safe key or enumerated. Seeded, so a failure replays.
 */

/** mulberry32: a small seeded PRNG. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Johnathan', 'Rosalind', 'María José', 'Oluwaseun', 'Zbigniew'];
const LAST = ['Quixote', 'Featherstonehaugh', "O'Brien-Nakamura", 'Wolfeschlegel'];
const VEHICLES = ['Harley-Davidson Street Glide', 'Kawasaki Ninja ZX-6R', 'Polaris Sportsman 570', 'Sea-Doo Spark'];

class Secrets {
  readonly texts: string[] = [];
  readonly digits: string[] = [];
  constructor(private readonly next: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  private number(length: number): string {
    return Array.from({ length }, () => Math.floor(this.next() * 10)).join('');
  }

  /** A name, a phone number in some format, a ZIP code, a vehicle or something a caller said. */
  value(): string {
    const kind = Math.floor(this.next() * 5);
    if (kind === 0) return this.text(`${this.pick(FIRST)} ${this.pick(LAST)}`);
    if (kind === 1) {
      const local = `555${this.number(4)}`;
      const phone = `404${local}`;
      this.digits.push(phone);
      return this.pick([`(404) ${local.slice(0, 3)}-${local.slice(3)}`, `+1${phone}`, `404.${local.slice(0, 3)}.${local.slice(3)}`, phone]);
    }
    if (kind === 2) {
      const zip = `9${this.pick(['95', '96', '68'])}${this.number(2)}`;
      this.digits.push(zip);
      return zip;
    }
    if (kind === 3) return this.text(this.pick(VEHICLES));
    return this.text(`yeah it's ${this.pick(FIRST)}, zip ${this.value()}, call me on ${this.value()}`);
  }

  private text(text: string): string {
    this.texts.push(text);
    return text;
  }

  /** A personal value, or an object or a list of them, under personal and made-up key names. */
  junk(depth = 0): unknown {
    const shape = depth > 2 ? 0 : Math.floor(this.next() * 3);
    if (shape === 0) return this.value();
    if (shape === 1) return [this.value(), this.junk(depth + 1)];
    return { [this.value()]: this.junk(depth + 1), note: this.value(), raw: { transcript: this.value() } };
  }

  /** Adds one to three unknown keys (some named after the caller) to `target`. */
  sprinkle(target: Record<string, unknown>): void {
    const count = 1 + Math.floor(this.next() * 3);
    for (let i = 0; i < count; i++) {
      const key = this.pick(['callerName', 'debug', 'rawLead', 'heard', 'message', 'body', 'meta', this.value()]);
      target[key] = this.junk();
    }
  }

  /** Either a valid enumerated value or a personal string in its place. */
  maybe<T>(valid: T): T | string {
    return this.next() < 0.3 ? this.value() : valid;
  }
}

function lead(s: Secrets): Record<string, unknown> {
  return {
    full_name: s.value(),
    zip_code: s.value(),
    phone: s.value(),
    vehicle_year: 2019,
    vehicle_make: s.value(),
    vehicle_model: s.value(),
  };
}

function reading(s: Secrets): Record<string, unknown> {
  const result = {
    lead: lead(s),
    complete: false,
    missing: [s.maybe('phone')],
    errors: [s.maybe('zip_code')],
    reasons: { zip_code: `zip ${s.value()} is in Alaska`, phone: `the phone number ${s.value()} has 7 digits` },
  };
  s.sprinkle(result);
  s.sprinkle(result.lead);
  return result;
}

function extraction(s: Secrets): Record<string, unknown> {
  const decision = { lead: lead(s), fields: { full_name: { value: s.value(), witnesses: [s.value()] } }, disputed: ['full_name', s.value()], reasked: false };
  s.sprinkle(decision);
  const result = {
    result: reading(s),
    source: s.maybe('llm'),
    offline: reading(s),
    llmError: `LLM returned ${JSON.stringify(lead(s))}`,
    disagreements: [{ field: 'vehicle_model', llm: s.value(), offline: s.value() }],
    decision,
  };
  s.sprinkle(result);
  return result;
}

function captured(s: Secrets): Record<string, unknown> {
  const entry = { value: s.value(), at: '2025-06-01T12:00:00.000Z', attempts: 2 };
  s.sprinkle(entry);
  const all: Record<string, unknown> = { full_name: entry, zip_code: { value: s.value(), at: s.maybe('2025-06-01T12:00:00.000Z'), attempts: 1 } };
  all[s.value()] = { value: s.value(), at: '2025-06-01T12:00:00.000Z', attempts: 1 };
  return all;
}

function turns(s: Secrets): unknown[] {
  return [
    { role: 'assistant', text: `Thanks, ${s.value()}. What's your ZIP code?` },
    { role: 'user', text: s.value() },
  ];
}

function failure(s: Secrets): Error {
  const error = Object.assign(new Error(`NPA API error: 422 ${JSON.stringify(lead(s))}`), { body: lead(s), status: 422 });
  error.name = s.maybe('NpaApiError');
  return error;
}

function context(s: Secrets): Record<string, unknown> {
  const ctx: Record<string, unknown> = {
    callSid: 'CA00000000000000000000000000000001',
    leadId: '00000000-0000-4000-8000-000000000001',
    callerPhone: s.value(),
    timeouts: { modelConnectMs: 5_000, submissionMs: 60_000 },
    modelReady: true,
    streamStarted: true,
    streamSid: 'MZ00000000000000000000000000000001',
    reading: reading(s),
    captured: captured(s),
    transcript: turns(s),
    endReason: s.maybe('caller-hangup'),
    failureReason: `extraction failed: LLM said ${s.value()}`,
    apology: false,
    extraction: extraction(s),
    storeError: `database error: duplicate key (${s.value()})`,
    result: { outcome: s.maybe('failed'), leadId: '00000000-0000-4000-8000-000000000001', reason: `invalid: zip_code (zip ${s.value()} is in Alaska)`, pending: true },
    lostReason: `could not record the lead: ${s.value()}`,
    handedOffTo: null,
  };
  s.sprinkle(ctx);
  s.sprinkle(ctx.result as Record<string, unknown>);
  return ctx;
}

/** One of the events a call actor sees, with its personal payload. */
function event(s: Secrets): Record<string, unknown> {
  const events: Array<() => Record<string, unknown>> = [
    () => ({ type: 'TRANSCRIPT_UPDATED', turns: turns(s) }),
    () => ({ type: 'FIELDS_UPDATED', reading: reading(s) }),
    () => ({ type: 'FIELD_CAPTURED', field: s.maybe('zip_code'), captured: { value: s.value(), at: '2025-06-01T12:00:00.000Z', attempts: 1 } }),
    () => ({ type: 'MODEL_FAILED', reason: `socket closed (1011): ${s.value()}` }),
    () => ({ type: 'GOODBYE', via: s.maybe('tool') }),
    () => ({ type: 'xstate.init', input: { ...context(s), initialReading: reading(s) } }),
    () => ({ type: 'xstate.done.actor.extractLead', actorId: 'extractLead', output: extraction(s) }),
    () => ({ type: 'xstate.done.actor.awaitTranscript', actorId: 'awaitTranscript', output: turns(s) }),
    () => ({ type: 'xstate.done.actor.deliverLead', actorId: 'deliverLead', output: { outcome: 'failed', leadId: '00000000-0000-4000-8000-000000000002', reason: `NPA API error: 422 ${s.value()}` } }),
    () => ({ type: 'xstate.error.actor.acceptLead', actorId: 'acceptLead', error: failure(s) }),
    () => ({ type: 'xstate.promise.resolve', data: { outcome: 'failed', reason: s.value(), lead: lead(s) } }),
    () => ({ type: 'xstate.promise.reject', data: failure(s) }),
    // An event type the machine does not have, named after the caller.
    () => ({ type: s.value(), reason: s.value() }),
  ];
  const chosen = s.pick(events)();
  s.sprinkle(chosen);
  return chosen;
}

/** A whole inspection event as @statelyai/inspect hands it to `serialize`. */
function inspectionEvent(s: Secrets, kind: number): Record<string, unknown> {
  const base = { sessionId: 'x:0', rootId: 'x:0', id: null, createdAt: '1700000000000', _version: '0.7.2' };
  let inspection: Record<string, unknown>;
  if (kind === 0) {
    const snapshot = { status: 'active', value: { streaming: s.maybe('conversing') }, context: context(s), children: { extractLead: { id: 'extractLead' }, [s.value()]: { id: s.value() } }, historyValue: { [s.value()]: s.value() }, tags: [s.value()] };
    s.sprinkle(snapshot);
    inspection = { ...base, type: '@xstate.snapshot', snapshot, event: event(s) };
  } else if (kind === 1) {
    // A child actor: its input (the lead to submit), its output or its error.
    const snapshot = { status: s.maybe('error'), input: { ...context(s), transcript: turns(s), extraction: extraction(s) }, output: { outcome: 'failed', reason: s.value(), lead: lead(s) }, error: failure(s) };
    s.sprinkle(snapshot);
    inspection = { ...base, sessionId: 'x:5', parentId: 'x:0', type: '@xstate.actor', name: s.maybe('acceptLead'), definition: s.maybe('{"id":"acceptLead"}'), snapshot };
  } else {
    inspection = { ...base, type: s.maybe('@xstate.event'), sourceId: 'x:1', event: event(s) };
  }
  s.sprinkle(inspection);
  return inspection;
}

function leaks(json: string, s: Secrets): string[] {
  const found = s.texts.filter((text) => json.includes(JSON.stringify(text).slice(1, -1)));
  const strings: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        strings.push(key);
        visit(child);
      }
    }
  };
  visit(JSON.parse(json));
  for (const text of strings) {
    const digits = text.replace(/\D/g, '');
    for (const secret of s.digits) if (digits.includes(secret)) found.push(secret);
  }
  return found;
}

describe('the inspector sanitizer: unknown keys and personal values in any field', () => {
  it('lets nothing personal out of 500 random inspection events, and only safe or enumerated strings', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const secrets = new Secrets(random(seed));
      const input = inspectionEvent(secrets, seed % 3);
      const json = JSON.stringify(redactInspectionEvent(input));
      expect(leaks(json, secrets), `seed ${seed}: ${json}`).toEqual([]);
      expect(unaccountedStrings(json), `seed ${seed}: ${json}`).toEqual([]);
      // The ids and the time the inspector needs are still there.
      expect(json).toContain('"sessionId":"x:');
    }
  });

  it('drops unknown keys of a context and an event, and keeps what shows how the call moves', () => {
    const secrets = new Secrets(random(7));
    const ctx = { ...context(secrets), callerName: 'Johnathan Quixote', [`zip 99501`]: 'heard 99501' };
    const safe = sanitizeCallContext(ctx);
    expect(Object.keys(safe)).not.toContain('callerName');
    expect(safe).toMatchObject({ callSid: 'CA00000000000000000000000000000001', transcript: 2, failureReason: 'extraction_failed', storeError: 'database', lostReason: 'database', callerPhone: 'given' });
    expect(safe.result).toMatchObject({ reason: 'refused_zip', pending: true });
    const text = JSON.stringify(safe);
    expect(text).not.toContain('Quixote');
    expect(text).not.toContain('99501');

    const event = sanitizeCallEvent({ type: 'MODEL_FAILED', reason: 'socket closed: "my name is Johnathan Quixote"', transcript: 'Johnathan Quixote' });
    expect(event).toEqual({ type: 'MODEL_FAILED', reason: 'other' });
    expect(sanitizeCallEvent({ type: 'Johnathan Quixote', reason: 'x' })).toEqual({ type: '[unknown]' });
  });
});
