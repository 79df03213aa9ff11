import { assign, fromPromise, setup } from 'xstate';
import type { Lead, LeadField, Turn } from '../src/leads/lead.js';
import type { LeadOutcome } from '../src/leads/leadOutcome.js';

/** What the reader made of the conversation after the latest text (computed outside: the machine stays pure). */
export interface SmsReading {
  lead: Lead;
  complete: boolean;
  missing: LeadField[];
  errors: LeadField[];
  /** The latest text says yes / no. */
  affirmative: boolean;
  negative: boolean;
}

/** What the agent says next; rendered to text outside the machine. */
export type SmsPrompt =
  | { kind: 'ask'; field: LeadField; first: boolean }
  | { kind: 'refused-zip'; next: LeadField | null }
  | { kind: 'confirm' }
  | { kind: 'what-to-fix' }
  | { kind: 'done'; outcome: LeadOutcome['outcome'] };

/** The lead as last texted back for confirmation, and how many read-backs gave each field a value. */
export interface SmsReadBack {
  lead: Lead;
  /** Per field, the read-backs (this one included) that carried a value for it. */
  times: Partial<Record<LeadField, number>>;
}

export interface SmsSubmitInput {
  phone: string;
  leadId: string;
  turns: Turn[];
  reading: SmsReading;
  /** The read-back the texter said yes to; null when the conversation was persisted before read-backs were kept. */
  readBack: SmsReadBack | null;
}


export interface SmsContext {
  phone: string;
  leadId: string;
  turns: Turn[];
  reading: SmsReading | null;
  prompt: SmsPrompt;
  /** The ZIP refusal has been said once; it is not repeated on every turn. */
  zipRefusalSaid: boolean;
  /** The latest read-back; optional because conversations persisted before it was kept lack it. */
  readBack?: SmsReadBack | null;
  result: LeadOutcome | null;
}

export type SmsEvent =
  /** The texter's message, with the reader's view of the conversation including it. */
  | { type: 'TEXT'; text: string; reading: SmsReading }
  /** The agent's reply as sent, so the transcript holds both sides. */
  | { type: 'SAID'; text: string };

/** The order the agent asks in; vehicle year, make and model are asked together. */
const ASK_ORDER: LeadField[] = ['full_name', 'zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model'];

function nextMissing(reading: SmsReading | null): LeadField | null {
  if (reading === null) return 'full_name';
  return ASK_ORDER.find((field) => reading.missing.includes(field)) ?? null;
}

/**
 * One SMS conversation: the same six fields as a call, one text at a time. Each inbound text arrives with the
 * reader's view of the whole conversation; the machine decides what to ask next, when to read everything back,
 * and when to submit. Persisted between texts (the session row holds its snapshot).
 */
export const smsMachine = setup({
  types: {
    context: {} as SmsContext,
    events: {} as SmsEvent,
    input: {} as { phone: string; leadId: string },
  },
  actors: {
    submitLead: fromPromise<LeadOutcome, SmsSubmitInput>(() =>
      Promise.reject(new Error('actor submitLead not provided')),
    ),
  },
  guards: {
    readyToConfirm: ({ context }) => nextMissing(context.reading) === null,
    zipRefusedNow: ({ context }) =>
      !context.zipRefusalSaid && (context.reading?.errors.includes('zip_code') ?? false),
    affirmative: ({ event }) => event.type === 'TEXT' && event.reading.affirmative,
    negativeWithoutChange: ({ context, event }) =>
      event.type === 'TEXT' && event.reading.negative && sameLead(context.reading?.lead ?? null, event.reading.lead),
  },
}).createMachine({
  id: 'sms',
  context: ({ input }) => ({
    phone: input.phone,
    leadId: input.leadId,
    turns: [],
    reading: null,
    prompt: { kind: 'ask', field: 'full_name', first: true },
    zipRefusalSaid: false,
    readBack: null,
    result: null,
  }),
  on: {
    SAID: { actions: assign({ turns: ({ context, event }) => [...context.turns, { role: 'assistant' as const, text: event.text }] }) },
  },
  initial: 'collecting',
  states: {
    collecting: {
      on: {
        TEXT: {
          target: 'deciding',
          actions: assign({
            turns: ({ context, event }) => [...context.turns, { role: 'user' as const, text: event.text }],
            reading: ({ event }) => event.reading,
          }),
        },
      },
    },
    /** Transient: picks the next prompt from what is known. */
    deciding: {
      always: [
        {
          guard: 'zipRefusedNow',
          target: 'collecting',
          actions: assign({
            zipRefusalSaid: true,
            prompt: ({ context }) => ({ kind: 'refused-zip' as const, next: nextMissing(context.reading) }),
          }),
        },
        { guard: 'readyToConfirm', target: 'confirming' },
        {
          target: 'collecting',
          actions: assign({
            prompt: ({ context }) => ({
              kind: 'ask' as const,
              field: nextMissing(context.reading) ?? 'full_name',
              // Nothing said yet: the first reply greets.
              first: context.turns.every((turn) => turn.role === 'user'),
            }),
          }),
        },
      ],
    },
    confirming: {
      entry: assign({ prompt: { kind: 'confirm' }, readBack: ({ context }) => readBackOf(context) }),
      on: {
        TEXT: [
          {
            guard: 'affirmative',
            target: 'submitting',
            actions: assign({
              turns: ({ context, event }) => [...context.turns, { role: 'user' as const, text: event.text }],
              reading: ({ event }) => event.reading,
            }),
          },
          {
            guard: 'negativeWithoutChange',
            target: 'collecting',
            actions: assign({
              turns: ({ context, event }) => [...context.turns, { role: 'user' as const, text: event.text }],
              prompt: { kind: 'what-to-fix' },
            }),
          },
          {
            // A correction: take it in and read everything back again.
            target: 'deciding',
            actions: assign({
              turns: ({ context, event }) => [...context.turns, { role: 'user' as const, text: event.text }],
              reading: ({ event }) => event.reading,
            }),
          },
        ],
      },
    },
    submitting: {
      invoke: {
        src: 'submitLead',
        input: ({ context }) => ({
          phone: context.phone,
          leadId: context.leadId,
          turns: context.turns,
          reading: context.reading as SmsReading,
          readBack: context.readBack ?? null,
        }),
        onDone: {
          target: 'done',
          actions: assign({
            result: ({ event }) => event.output,
            prompt: ({ event }) => ({ kind: 'done' as const, outcome: event.output.outcome }),
          }),
        },
        onError: {
          target: 'done',
          actions: assign({
            result: ({ context }) => ({ outcome: 'failed' as const, leadId: context.leadId, reason: 'submission failed' }),
            prompt: { kind: 'done', outcome: 'failed' },
          }),
        },
      },
    },
    done: { type: 'final' },
  },
});

/** The read-back about to be texted: the lead as read now, each field with a value counted once more. */
function readBackOf(context: SmsContext): SmsReadBack | null {
  if (context.reading === null) return null;
  const { lead } = context.reading;
  const times = { ...context.readBack?.times };
  for (const field of ASK_ORDER) if (lead[field] !== null) times[field] = (times[field] ?? 0) + 1;
  return { lead, times };
}

function sameLead(a: Lead | null, b: Lead): boolean {
  if (a === null) return false;
  return ASK_ORDER.every((field) => a[field] === b[field]);
}

export type SmsMachine = typeof smsMachine;
