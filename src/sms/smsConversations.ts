import { randomUUID } from 'node:crypto';
import { createActor, fromPromise, waitFor, type Snapshot } from 'xstate';
import { smsMachine, type SmsReading, type SmsSubmitInput } from '../../machines/smsMachine.js';
import type { Logger } from '../log.js';
import { reasonOf } from '../errors.js';
import { isAffirmation } from '../extraction/offline/callerAnswers.js';
import type { Turn } from '../leads/lead.js';
import type { LeadOutcome } from '../leads/leadOutcome.js';
import { refusalFor } from '../leads/problems.js';
import type { SessionRepository } from '../db/sessionRepository.js';
import { readSmsState, type SmsPatch } from '../db/entities/sessionState.js';
import type { LeadIntake } from '../outbox/leadIntake.js';
import { SETTLED_SMS_PHASES } from '../outbox/recoverySweep.js';
import { renderSmsPrompt } from './smsPrompts.js';
import { createSmsReader, type SmsLlm, type SmsReader } from './smsReader.js';

/** Longest SMS body we read (Twilio concatenates long messages; 1,600 characters is its own limit). */
export const MAX_SMS_CHARS = 1_600;
/** How long one text may wait for its lead's submission before the reply goes out anyway. */
export const SMS_SUBMIT_WAIT_MS = 20_000;

/**
 * SMS conversations: each conversation is a session of its own (keyed `sms:<lead id>`), and a number has at most one
 * open at a time. Each text restores the open conversation's machine from its session row (or starts a new
 * conversation), lets the reader see the whole conversation, and persists the machine again with the reply. Texts
 * from one number are handled one at a time.
 */
export class SmsConversations {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly reader: SmsReader;

  /** `llm`: the LLM reads each text too, and votes on the lead; absent or null: offline only. */
  constructor(
    private readonly deps: { sessions: SessionRepository; intake: LeadIntake; logger: Logger; llm?: SmsLlm | null; refusedStates?: readonly string[] },
  ) {
    this.reader = createSmsReader({ llm: deps.llm ?? null, logger: deps.logger, ...(deps.refusedStates ? { refusedStates: deps.refusedStates } : {}) });
  }

  /** Handles one inbound text and returns the reply. */
  handle(phone: string, text: string): Promise<string> {
    const previous = this.queues.get(phone) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.handleNow(phone, text.slice(0, MAX_SMS_CHARS)));
    this.queues.set(phone, next);
    void next.finally(() => {
      if (this.queues.get(phone) === next) this.queues.delete(phone);
    });
    return next;
  }

  private async handleNow(phone: string, text: string): Promise<string> {
    const { sessions } = this.deps;
    // The number's open conversation, if any: a finished or abandoned one is not resumed (its session stays as it is).
    const session = await sessions.findSms(phone, { settledPhases: SETTLED_SMS_PHASES });
    const stored = readSmsState(session?.state).machine as Snapshot<unknown> | null | undefined;
    let sessionKey = session?.sessionKey ?? '';
    const machine = smsMachine.provide({
      actors: {
        submitLead: fromPromise<LeadOutcome, SmsSubmitInput>(({ input, signal }) =>
          this.submit(phone, sessionKey, input, signal),
        ),
      },
    });
    // A finished conversation is not resumed: the next text starts a new lead.
    const resumable = stored !== undefined && stored !== null && (stored as { status?: string }).status === 'active';
    const actor = resumable
      ? createActor(machine, { snapshot: stored as never, input: { phone, leadId: randomUUID() } })
      : createActor(machine, { input: { phone, leadId: randomUUID() } });
    // One session per conversation, keyed by its lead id.
    if (!resumable) sessionKey = smsSessionKey(actor.getSnapshot().context.leadId);
    actor.start();

    const turns: Turn[] = [...actor.getSnapshot().context.turns, { role: 'user', text }];
    // A yes to the read-back goes straight to the final vote, which reads the conversation itself: the LLM's
    // reading of this turn would only delay the reply.
    const confirms = actor.getSnapshot().matches('confirming') && isAffirmation(text);
    const reading = await this.reader.readTurn({ callerPhone: phone, turns }, text, { llm: !confirms });
    actor.send({ type: 'TEXT', text, reading });
    const settled = await waitFor(actor, (s) => !s.matches('submitting'), { timeout: SMS_SUBMIT_WAIT_MS }).catch(
      () => actor.getSnapshot(),
    );
    const reply = renderSmsPrompt(settled.context.prompt, settled.context);
    // A finished machine takes no more events; its last reply is added to the transcript below.
    if (actor.getSnapshot().status === 'active') actor.send({ type: 'SAID', text: reply });

    const snapshot = actor.getSnapshot();
    const transcript: Turn[] =
      snapshot.status === 'done' ? [...snapshot.context.turns, { role: 'assistant', text: reply }] : snapshot.context.turns;
    const state: SmsPatch = {
      phase: typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value),
      phone,
      leadId: snapshot.context.leadId,
      transcript,
      fields: snapshot.context.reading?.lead ?? null,
      outcome: snapshot.context.result?.outcome ?? null,
      machine: actor.getPersistedSnapshot(),
    };
    actor.stop();
    const sessionId = await sessions.open({ channel: 'sms', sessionKey, state });
    if (!resumable) this.deps.logger.info({ event: 'sms_session_started', sessionId }, 'sms_session_started');
    return reply;
  }

  private async submit(phone: string, sessionKey: string, input: SmsSubmitInput, signal: AbortSignal): Promise<LeadOutcome> {
    const { result, decision } = await this.reader.decide({ callerPhone: phone, turns: input.turns }, input.readBack, new Date());
    const refusal = refusalFor(result);
    try {
      return await this.deps.intake.submit(
        {
          id: input.leadId,
          channel: 'sms',
          externalId: `sms:${input.leadId}`,
          lead: result.lead,
          ...(refusal === undefined ? {} : { refusal }),
          // No vote without an LLM: the lead goes as it always did.
          ...(decision === null ? {} : { decision }),
          sessionKey,
          sessionState: { phone, transcript: input.turns },
        },
        signal,
      );
    } catch (error) {
      this.deps.logger.error({ err: reasonOf(error), leadId: input.leadId }, 'sms lead submission failed');
      throw error;
    }
  }
}

/** The session key of one SMS conversation. */
export const smsSessionKey = (leadId: string): string => `sms:${leadId}`;
