import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { smsMachine, type SmsReading, type SmsSubmitInput } from '../../machines/smsMachine.js';
import type { LeadOutcome } from '../../src/leads/leadOutcome.js';
import { LEAD_FIELDS, type Lead } from '../../src/leads/lead.js';

const FULL: Lead = {
  full_name: 'Ann Lee',
  zip_code: '30093',
  phone: '+14045550100',
  vehicle_year: 2019,
  vehicle_make: 'Honda',
  vehicle_model: 'Rebel 500',
};

function reading(lead: Partial<Lead>, flags: Partial<Pick<SmsReading, 'affirmative' | 'negative' | 'errors'>> = {}): SmsReading {
  const full: Lead = { full_name: null, zip_code: null, phone: null, vehicle_year: null, vehicle_make: null, vehicle_model: null, ...lead };
  const missing = LEAD_FIELDS.filter((f) => full[f] === null);
  const errors = flags.errors ?? [];
  return { lead: full, missing, errors, complete: missing.length === 0 && errors.length === 0, affirmative: false, negative: false, ...flags };
}

function start(submit: (input: SmsSubmitInput) => Promise<LeadOutcome>) {
  const submitted: SmsSubmitInput[] = [];
  const machine = smsMachine.provide({
    actors: {
      submitLead: fromPromise<LeadOutcome, SmsSubmitInput>(({ input }) => {
        submitted.push(input);
        return submit(input);
      }),
    },
  });
  const actor = createActor(machine, { input: { phone: '+14045550100', leadId: 'lead-1' } }).start();
  return { actor, submitted };
}

describe('the SMS machine', () => {
  it('asks for the first missing field, in order, greeting only once', () => {
    const { actor } = start(() => Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' }));
    actor.send({ type: 'TEXT', text: 'hi', reading: reading({}) });
    expect(actor.getSnapshot().context.prompt).toEqual({ kind: 'ask', field: 'full_name', first: true });
    actor.send({ type: 'SAID', text: 'May I have your full name?' });
    actor.send({ type: 'TEXT', text: 'Ann Lee, 30093', reading: reading({ full_name: 'Ann Lee', zip_code: '30093' }) });
    expect(actor.getSnapshot().context.prompt).toEqual({ kind: 'ask', field: 'phone', first: false });
  });

  it('refuses an Alaska or Hawaii ZIP once, then carries on', () => {
    const { actor } = start(() => Promise.resolve({ outcome: 'failed', leadId: 'lead-1' }));
    actor.send({ type: 'TEXT', text: '99501', reading: reading({ full_name: 'Ann Lee', zip_code: '99501' }, { errors: ['zip_code'] }) });
    expect(actor.getSnapshot().context.prompt).toEqual({ kind: 'refused-zip', next: 'phone' });
    actor.send({ type: 'SAID', text: "I'm sorry, we aren't able to purchase vehicles in Alaska or Hawaii." });
    actor.send({ type: 'TEXT', text: 'this number', reading: reading({ full_name: 'Ann Lee', zip_code: '99501', phone: '+14045550100' }, { errors: ['zip_code'] }) });
    expect(actor.getSnapshot().context.prompt).toEqual({ kind: 'ask', field: 'vehicle_year', first: false });
  });

  it('reads back when all six are known; no without a change asks what to fix; a correction reads back again', () => {
    const { actor, submitted } = start(() => Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' }));
    actor.send({ type: 'TEXT', text: 'everything', reading: reading(FULL) });
    expect(actor.getSnapshot().value).toBe('confirming');
    actor.send({ type: 'TEXT', text: 'no', reading: reading(FULL, { negative: true }) });
    expect(actor.getSnapshot().context.prompt).toEqual({ kind: 'what-to-fix' });
    actor.send({ type: 'TEXT', text: 'zip 30094', reading: reading({ ...FULL, zip_code: '30094' }) });
    expect(actor.getSnapshot().value).toBe('confirming');
    actor.send({ type: 'TEXT', text: 'the year is 2018', reading: reading({ ...FULL, zip_code: '30094', vehicle_year: 2018 }) });
    expect(actor.getSnapshot().value).toBe('confirming');
    expect(actor.getSnapshot().context.reading?.lead.vehicle_year).toBe(2018);
    expect(submitted).toHaveLength(0);
  });

  it('submits on yes and ends with the outcome; a failed submission still ends, as failed', async () => {
    const ok = start(() => Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' }));
    ok.actor.send({ type: 'TEXT', text: 'all', reading: reading(FULL) });
    ok.actor.send({ type: 'TEXT', text: 'yes', reading: reading(FULL, { affirmative: true }) });
    const done = await waitFor(ok.actor, (s) => s.status === 'done');
    expect(done.context.prompt).toEqual({ kind: 'done', outcome: 'succeeded' });
    expect(ok.submitted[0]?.reading.lead).toEqual(FULL);

    const broken = start(() => Promise.reject(new Error('database down')));
    broken.actor.send({ type: 'TEXT', text: 'all', reading: reading(FULL) });
    broken.actor.send({ type: 'TEXT', text: 'yes', reading: reading(FULL, { affirmative: true }) });
    const failed = await waitFor(broken.actor, (s) => s.status === 'done');
    expect(failed.context.prompt).toEqual({ kind: 'done', outcome: 'failed' });
    expect(failed.context.result?.outcome).toBe('failed');
  });

  it('submits the read-back the texter said yes to, each field counted once per read-back that carried it', async () => {
    const { actor, submitted } = start(() => Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' }));
    const { vehicle_model: _model, ...withoutModel } = FULL;
    actor.send({ type: 'TEXT', text: 'all but the model', reading: reading(withoutModel) });
    actor.send({ type: 'TEXT', text: 'Rebel 500', reading: reading(FULL) });
    expect(actor.getSnapshot().value).toBe('confirming');
    actor.send({ type: 'TEXT', text: 'zip 30094', reading: reading({ ...FULL, zip_code: '30094' }) });
    // The yes text reads otherwise (a reader's slip): what was texted back, and confirmed, is the read-back.
    actor.send({ type: 'TEXT', text: 'yes', reading: reading({ ...FULL, zip_code: '30095' }, { affirmative: true }) });
    await waitFor(actor, (s) => s.status === 'done');
    expect(submitted[0]?.readBack).toEqual({
      lead: { ...FULL, zip_code: '30094' },
      times: { full_name: 2, zip_code: 2, phone: 2, vehicle_year: 2, vehicle_make: 2, vehicle_model: 2 },
    });
    expect(submitted[0]?.reading.lead.zip_code).toBe('30095');
  });

  it('a conversation persisted before read-backs were kept submits with no read-back', async () => {
    const { actor } = start(() => Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' }));
    actor.send({ type: 'TEXT', text: 'all', reading: reading(FULL) });
    const persisted = actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> };
    delete persisted.context.readBack;
    const submitted: SmsSubmitInput[] = [];
    const restored = createActor(
      smsMachine.provide({
        actors: {
          submitLead: fromPromise<LeadOutcome, SmsSubmitInput>(({ input }) => {
            submitted.push(input);
            return Promise.resolve({ outcome: 'succeeded', leadId: 'lead-1' });
          }),
        },
      }),
      { snapshot: persisted as never, input: { phone: '+14045550100', leadId: 'lead-1' } },
    ).start();
    restored.send({ type: 'TEXT', text: 'yes', reading: reading(FULL, { affirmative: true }) });
    await waitFor(restored, (s) => s.status === 'done');
    expect(submitted[0]?.readBack).toBeNull();
  });
});
