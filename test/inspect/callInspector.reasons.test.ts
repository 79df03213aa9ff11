import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector } from '@statelyai/inspect';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callMachine } from '../../machines/callMachine.js';
import type { CallOutput, CallTimeouts } from '../../machines/callTypes.js';
import { Call } from '../../src/calls/call.js';
import { callActors } from '../../src/calls/callActors.js';
import type { CallDeps } from '../../src/calls/callDeps.js';
import { ExtractionError, ModelConnectionError } from '../../src/errors.js';
import type { Extraction, Extractor } from '../../src/extraction/extractor.js';
import { CALL_INSPECTOR_OPTIONS } from '../../src/inspect/callInspector.js';
import { redactInspectionEvent } from '../../src/inspect/sanitize.js';
import type { ExtractionResult, LeadField, Turn } from '../../src/leads/lead.js';
import { reasonClassOf, type ReasonClass } from '../../src/leads/reasonClass.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { CALM_TIMEOUTS, conversationEvents, startCallLab, type CallLab } from '../support/callLab.js';
import { LeadRefusals } from '../support/leadRefusals.js';
import { leadStack } from '../support/leadStack.js';
import { FakeTwilioSink, modelEvents as m } from '../support/relayFakes.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { unaccountedStrings } from './feedStrings.js';

/**
 * Real calls through `Call` and the call machine's real implementations (the callLab of test/calls: the model and
 * Twilio legs are in-memory fakes, the database, intake, outbox, spool, NPA client and extractor are real), one
 * per kind of reason a lead fails for, with an inspector built on the very options the server's uses. Where the
 * product's own reasons are clean today, the call is made hostile (an extractor whose reasons quote the values, an
 * NPA that echoes the lead in its status line, errors quoting the caller): the feed must not depend on reasons
 * being clean. Every event the inspector would send, as JSON, must hold none of the caller's details.
 */

const NAME = 'Johnathan Quixote';
const CALLER_ID = '+14045550111';
const PHONE_SAID = '404-555-0111';
const YEAR = 2019;
const MAKE = 'Harley-Davidson';
const MODEL = 'Street Glide';
const ZIPS = { ok: '30093', alaska: '99501', hawaii: '96813' } as const;

/** A caller giving every field, ZIP and phone as told; the agent repeating each back (as the real agent does). */
function conversation(zip: string, phone: string = PHONE_SAID, upTo: LeadField = 'vehicle_model'): Turn[] {
  const turns: Turn[] = [
    { role: 'assistant', text: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
    { role: 'user', text: `Hi, yeah, my name is ${NAME}.` },
    { role: 'assistant', text: `Thanks, ${NAME}. What's your ZIP code?` },
    { role: 'user', text: `${zip}.` },
  ];
  if (upTo === 'zip_code') return turns;
  turns.push(
    { role: 'assistant', text: `Got it, ${zip}. What's the best phone number to reach you?` },
    { role: 'user', text: `${phone}.` },
  );
  if (upTo === 'phone') return turns;
  turns.push(
    { role: 'assistant', text: "Great. What's the year, make and model of the vehicle you'd like to sell?" },
    { role: 'user', text: `It's a ${YEAR} ${MAKE} ${MODEL}.` },
    { role: 'assistant', text: `A ${YEAR} ${MAKE} ${MODEL}. Someone will reach out shortly. Have a great day, goodbye!` },
  );
  return turns;
}

const ALL_TURNS = [
  ...Object.values(ZIPS).flatMap((zip) => conversation(zip)),
  ...conversation(ZIPS.ok, '555-0111'),
];
/** What must never be in the feed, as text (compared without case). */
const FORBIDDEN_TEXT = [
  ...NAME.split(' '),
  MAKE,
  'Harley',
  'Davidson',
  MODEL,
  'Glide',
  ...new Set(ALL_TURNS.filter((t) => t.text.length > 8).map((t) => t.text)),
];
/** Digit strings that must be in no value of the feed, whatever the formatting around them. */
const FORBIDDEN_DIGITS = ['4045550111', '5550111', ...Object.values(ZIPS)];

/** The caller's details an event leaks (empty: none). Times are the one digit-heavy value the feed carries. */
function leaksOf(json: string): string[] {
  const lower = json.toLowerCase();
  const found = FORBIDDEN_TEXT.filter((text) => lower.includes(text.toLowerCase()));
  const visit = (value: unknown): void => {
    if (typeof value === 'number') {
      if ([YEAR, ...Object.values(ZIPS).map(Number), 4045550111, 14045550111].includes(value)) found.push(String(value));
    } else if (typeof value === 'string') {
      if (/^\d{13}$/.test(value) || /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value)) return;
      const digits = value.replace(/\D/g, '');
      for (const secret of FORBIDDEN_DIGITS) if (digits.includes(secret)) found.push(secret);
      const runs: string[] = value.match(/\d+/g) ?? [];
      if (runs.includes(String(YEAR))) found.push(String(YEAR));
    } else if (value !== null && typeof value === 'object') {
      for (const child of Object.values(value)) visit(child);
    }
  };
  visit(JSON.parse(json));
  return found;
}

/**
 * An extractor whose reasons quote the values and what the caller said ("zip_code 99501 rejected (...); heard ..."),
 * for every field missing or invalid: the validation errors a less careful normalizer or LLM would write.
 */
function quotingExtractor(inner: Extractor): Extractor {
  const quote = (result: ExtractionResult, heard: string): ExtractionResult => ({
    ...result,
    reasons: Object.fromEntries(
      [...result.missing, ...result.errors].map((field) => [
        field,
        `${field} ${String(result.lead[field])} rejected (${result.reasons[field] ?? 'not understood'}); heard "${heard}"`,
      ]),
    ),
  });
  return {
    async extract(conversation, options): Promise<Extraction> {
      const extraction = await inner.extract(conversation, options);
      const heard = conversation.turns.filter((t) => t.role === 'user').map((t) => t.text).join(' / ');
      return { ...extraction, result: quote(extraction.result, heard), offline: quote(extraction.offline, heard), llmError: `LLM read "${heard}"` };
    },
  };
}

/** An extractor that fails with an error quoting the lead it could not parse. */
const failingExtractor: Extractor = {
  extract: () =>
    Promise.reject(new ExtractionError(`LLM answered malformed JSON: {"full_name":"${NAME}","phone":"(404) 555-0111","zip_code":"${ZIPS.ok}","vehicle_model":"${MODEL}"`)),
};

/** An NPA API that refuses every lead with 422, echoing it in the status line and in the body. */
async function startEchoingNpa(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      res.writeHead(422, `lead refused: ${body}`, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid lead', lead: JSON.parse(body) as unknown }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let database: TestDatabase;
let lab: CallLab;
let refusals: LeadRefusals;
let echoingNpa: { url: string; server: Server };
/** What the inspector would send: each event after CALL_INSPECTOR_OPTIONS' pass, as the adapter is handed it. */
const sent: unknown[] = [];
const inspector = createInspector({ send: (event) => void sent.push(event), start: () => undefined, stop: () => undefined }, CALL_INSPECTOR_OPTIONS);
let sequence = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startCallLab(database);
  refusals = await LeadRefusals.install(database.db);
  echoingNpa = await startEchoingNpa();
});
afterAll(async () => {
  await lab?.close();
  await new Promise((resolve) => echoingNpa?.server.close(resolve));
  await database?.close();
});

const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 5 });

/** Calls over `deps` with the inspector attached, found by CallSid as the registry finds them. */
function benchOf(deps: CallDeps): (callSid: string, leadId: string, timeouts: Partial<CallTimeouts>) => Call {
  const calls = new Map<string, Call>();
  const machine = callMachine.provide(
    callActors((callSid) => {
      const call = calls.get(callSid);
      if (call === undefined) throw new Error('call is not live in this process');
      return call;
    }, deps),
  );
  return (callSid, leadId, timeouts) => {
    const call = new Call(deps, { callSid, callerPhone: CALLER_ID, leadId, timeouts: { ...CALM_TIMEOUTS, ...timeouts }, machine, inspect: inspector.inspect });
    calls.set(callSid, call);
    return call.start();
  };
}

interface Scenario {
  turns: Turn[];
  /** How the conversation ends: the agent's goodbye, the caller hanging up, the model's socket dropping. */
  end: 'goodbye' | 'hang-up' | 'model-drop' | 'no-connect';
  deps?: Partial<CallDeps>;
  timeouts?: Partial<CallTimeouts>;
  /** The agent records these fields live (record_lead_field), with the values the caller gave. */
  record?: Array<{ field: LeadField; value: string }>;
  beforeSubmit?: (callSid: string) => Promise<void>;
}

interface Placed {
  output: CallOutput;
  /** What the inspector would send for this call, each event as JSON. */
  feed: string[];
  /** The root actor's events, parsed. */
  root: Array<{ type: string; snapshot?: { status?: string; output?: { reason?: unknown; outcome?: unknown } }; event?: { type?: string } }>;
}

async function place(scenario: Scenario): Promise<Placed> {
  const n = ++sequence;
  const callSid = `CAfeed${String(n).padStart(28, '0')}`;
  const leadId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const start = benchOf({ ...lab.deps, ...scenario.deps });
  const from = sent.length;
  const before = lab.connector.connections.length;
  lab.connector.behaviour = scenario.end === 'no-connect' ? 'fail' : 'open';
  const call = start(callSid, leadId, scenario.timeouts ?? {});
  await scenario.beforeSubmit?.(callSid);
  if (scenario.end !== 'no-connect') {
    const { socket } = await eventually(() => lab.connector.connection(before));
    await eventually(() => expect(call.actor.getSnapshot().context.modelReady).toBe(true));
    const sink = new FakeTwilioSink();
    call.attachStream(sink, 'MZ00000000000000000000000000000001');
    await eventually(() => expect(call.stateName()).toBe('streaming.conversing'));
    socket.receive(...conversationEvents(scenario.turns, { idPrefix: `item${n}` }));
    for (const [i, { field, value }] of (scenario.record ?? []).entries()) {
      socket.receive(m.recordLeadField(`rf${i}`, { field, value }, `item_rf${i}`), m.responseDone());
    }
    if (scenario.end === 'goodbye') {
      socket.receive(m.endCall('call_end'));
      await eventually(() => expect(call.stateName()).toBe('streaming.closing'));
      const mark = sink.markNames().at(-1);
      if (mark === undefined) throw new Error('no goodbye mark sent');
      call.relay.onTwilioMark(mark);
    } else if (scenario.end === 'hang-up') {
      call.callerHungUp();
    } else {
      socket.drop(`socket closed (1011): server error while transcribing "my name is ${NAME}"`);
    }
  }
  const output = await call.done;
  const sessionId = call.actor.sessionId;
  // Delivery is asynchronous (a timer per event): wait for the root's final snapshot.
  const isFinal = (e: unknown) => (e as { sessionId?: string; snapshot?: { status?: string } }).sessionId === sessionId && (e as { snapshot?: { status?: string } }).snapshot?.status === 'done';
  await eventually(() => expect(sent.slice(from).some(isFinal)).toBe(true));
  const events = sent.slice(from);
  // The WebSocket inspector passes a deferred event through `serialize` a second time: nothing changes.
  for (const event of events) expect(redactInspectionEvent(event)).toBe(event);
  const feed = events.map((event) => JSON.stringify(event));
  const root = feed.map((json) => JSON.parse(json) as Placed['root'][number]).filter((e) => (e as { sessionId?: string }).sessionId === sessionId);
  return { output, feed, root };
}

/** The call's outcome in the feed: its final snapshot's output. */
const finalOutput = (placed: Placed) => placed.root.find((e) => e.snapshot?.status === 'done')?.snapshot?.output;

function expectClean(placed: Placed, reasonClass: ReasonClass): void {
  const leaks = placed.feed.flatMap((json) => leaksOf(json).map((secret) => `${secret} in ${json.slice(0, 600)}`));
  expect(leaks).toEqual([]);
  expect(placed.feed.flatMap((json) => unaccountedStrings(json))).toEqual([]);
  // The feed still shows how the call went: its states, its events, its outcome and its reason's class.
  expect(reasonClassOf(placed.output.reason)).toBe(reasonClass);
  expect(finalOutput(placed)).toMatchObject({ outcome: placed.output.outcome, reason: reasonClass });
  expect(placed.root.some((e) => e.type === '@xstate.event' && e.event?.type === 'xstate.init')).toBe(true);
  expect(placed.feed.some((json) => json.includes('"saved-failure"'))).toBe(true);
}

describe('the inspector feed carries no personal data, whatever the reason a lead failed for', () => {
  it('a refused ZIP in Alaska, the reason quoting it ("zip_code 99501 rejected ...")', async () => {
    const placed = await place({
      turns: conversation(ZIPS.alaska),
      end: 'goodbye',
      deps: { extractor: quotingExtractor(lab.deps.extractor) },
      record: [
        { field: 'full_name', value: NAME },
        { field: 'zip_code', value: ZIPS.alaska },
      ],
    });
    // The hostile reason reached the call's own output: the feed is what hides it.
    expect(placed.output.reason).toContain(ZIPS.alaska);
    expect(placed.feed.some((json) => json.includes('FIELD_CAPTURED'))).toBe(true);
    expectClean(placed, 'refused_zip');
  });

  it('a refused ZIP in Hawaii', async () => {
    const placed = await place({ turns: conversation(ZIPS.hawaii), end: 'goodbye', deps: { extractor: quotingExtractor(lab.deps.extractor) } });
    expect(placed.output.reason).toContain(ZIPS.hawaii);
    expect(placed.output.reason).toContain('Hawaii');
    expectClean(placed, 'refused_zip');
  });

  it('an invalid phone number, the reason quoting what the caller said', async () => {
    const placed = await place({ turns: conversation(ZIPS.ok, '555-0111'), end: 'goodbye', deps: { extractor: quotingExtractor(lab.deps.extractor) } });
    expect(placed.output.reason).toContain('555-0111');
    expectClean(placed, 'incomplete');
  });

  it('an incomplete lead: the goodbye came before the phone and the vehicle', async () => {
    const placed = await place({ turns: conversation(ZIPS.ok, PHONE_SAID, 'zip_code'), end: 'goodbye' });
    expect(placed.output.reason).toMatch(/^missing: phone, vehicle_year, vehicle_make, vehicle_model/);
    expectClean(placed, 'incomplete');
  });

  it('an extraction error quoting the lead it could not parse', async () => {
    const placed = await place({ turns: conversation(ZIPS.ok), end: 'goodbye', deps: { extractor: failingExtractor } });
    expect(placed.output.reason).toContain(NAME);
    expect(placed.root.some((e) => e.type === '@xstate.event' && e.event?.type === 'xstate.error.actor.extractLead')).toBe(true);
    expectClean(placed, 'extraction_failed');
  });

  it('an NPA rejection (422) whose status line and body echo the lead', async () => {
    const npa = createNpaClient({ url: echoingNpa.url, username: 'psb', password: 'pw', timeoutMs: 5_000, maxAttempts: 1, logger: database.logger });
    const { intake } = leadStack(database.db, npa, database.logger, { maxAttempts: 1, spool: lab.spool });
    const placed = await place({ turns: conversation(ZIPS.ok), end: 'goodbye', deps: { intake } });
    expect(placed.output.reason).toMatch(/^NPA API error: 422 lead refused: .*Quixote/);
    expectClean(placed, 'npa_error');
  });

  it('an NPA outage (503)', async () => {
    lab.npa.setMode('fail-503');
    try {
      const placed = await place({ turns: conversation(ZIPS.ok), end: 'goodbye' });
      expect(placed.output.reason).toContain('503');
      expectClean(placed, 'npa_error');
    } finally {
      lab.npa.setMode('ok');
    }
  });

  it('an NPA that does not answer before SUBMISSION_TIMEOUT', async () => {
    lab.npa.setMode('timeout');
    try {
      const placed = await place({ turns: conversation(ZIPS.ok), end: 'goodbye', timeouts: { submissionMs: 300 } });
      expect(placed.output.reason).toMatch(/^submission pending: timeout after 300 ms/);
      expectClean(placed, 'npa_error');
    } finally {
      lab.npa.setMode('ok');
    }
  });

  it('a database that cannot take the lead (it is spooled)', async () => {
    const placed = await place({
      turns: conversation(ZIPS.ok),
      end: 'goodbye',
      beforeSubmit: (callSid) => refusals.refuse(callSid, 'lead_outbox', 1),
    });
    expect(placed.output.reason).toMatch(/database unavailable/);
    expectClean(placed, 'database');
  });

  it('a model socket that drops mid-call, its close reason quoting the caller', async () => {
    const placed = await place({ turns: conversation(ZIPS.ok, PHONE_SAID, 'phone'), end: 'model-drop' });
    expect(placed.output.reason).toContain(NAME);
    expectClean(placed, 'model_failure');
  });

  it('a model that cannot be reached at all', async () => {
    lab.connector.failure = new ModelConnectionError(`model connection refused: HTTP 503 (session for ${CALLER_ID})`);
    const placed = await place({ turns: [], end: 'no-connect' });
    expect(placed.output.reason).toContain(CALLER_ID);
    expectClean(placed, 'model_failure');
  });

  it('a caller who hangs up after giving the phone number', async () => {
    const placed = await place({ turns: conversation(ZIPS.ok, PHONE_SAID, 'phone'), end: 'hang-up' });
    expect(placed.output.reason).toMatch(/^incomplete: caller hung up after phone/);
    expectClean(placed, 'incomplete');
  });
});
