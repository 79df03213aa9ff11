import { z } from 'zod';
import { LEAD_FIELDS, LeadSchema, TurnSchema } from '../../leads/lead.js';

/**
 * What a conversation session's `state` column holds, per channel, and the typed patches its writers merge into
 * it (a shallow JSONB merge: each key a patch names replaces the stored one). Readers parse it once with
 * `readVoiceState` / `readSmsState`: a key that does not parse reads as absent, so an old or damaged row still
 * yields what it can.
 */

/** Written by the outbox when a lead is accepted or finished (both channels). */
export interface OutcomePatch {
  /** `review`: held until a person decides (`leads review`). */
  outcome?: 'pending' | 'succeeded' | 'failed' | 'review';
  leadId?: string;
  reason?: string | null;
  /** Our reference sent to NPA as external_id. */
  externalId?: string;
  submittedAt?: string;
  resolvedAt?: string;
}

/** A message the caller left after the model failed (Twilio `<Record>`): a reference, never the audio itself. */
export const CallRecordingSchema = z.object({
  /** Twilio's RecordingSid (RE...). */
  sid: z.string(),
  /** Twilio's RecordingUrl (fetching it needs the account's credentials). */
  url: z.string(),
  durationSeconds: z.number().nullable(),
  receivedAt: z.string(),
});
export type CallRecording = z.infer<typeof CallRecordingSchema>;

const ExtractionSummarySchema = z.object({
  source: z.enum(['llm', 'offline']),
  complete: z.boolean(),
  missing: z.array(z.string()),
  errors: z.array(z.string()),
  llmError: z.string().nullable(),
  disagreements: z.array(z.object({ field: z.string(), llm: z.unknown(), offline: z.unknown() })),
  /** Fields no two witnesses agree on (the lead's decision is in lead_decisions). */
  disputed: z.array(z.string()).optional(),
});

/** What the agent recorded live (`record_lead_field`), per field: the value last accepted, when, after how many tries. */
export const CapturedFieldsSchema = z.partialRecord(
  z.enum(LEAD_FIELDS),
  z.object({ value: z.union([z.string(), z.number()]), at: z.string(), attempts: z.number().int() }),
);

/** How one call went, computed when it ends from what the call already holds (src/calls/callQuality.ts). */
export const CallQualitySchema = z.object({
  /** The media stream's start to the conversation's end; null when the stream never started. */
  durationMs: z.number().nullable(),
  turns: z.object({ agent: z.number().int(), caller: z.number().int() }),
  bargeIns: z.number().int(),
  /** Silences over `thresholdMs` with neither side speaking, and the longest of them. */
  deadAir: z.object({ count: z.number().int(), longestMs: z.number(), thresholdMs: z.number() }),
  /** The waits the caller and the lead sat through, in ms (as src/calls/callWaits.ts names them). */
  waits: z.object({
    greetingMs: z.number().nullable(),
    /** Per answered caller turn, in order. */
    responseMs: z.array(z.number()),
    /** Per answered turn, the relay's own part of responseMs (the answer's first audio in to its frame out). */
    responseRelayMs: z.array(z.number()).default([]),
    bargeInMs: z.array(z.number()),
    /** Per barge-in, the agent audio the caller heard over their own speech, up to the clear. */
    bargeInHeardMs: z.array(z.number()).default([]),
    goodbyeMs: z.number().nullable(),
    leadDeliveryMs: z.number().nullable(),
  }),
  /** Per lead field: the attempts it needed, whether a read-back of it was corrected, the witnesses' ruling. */
  fields: z.partialRecord(
    z.enum(LEAD_FIELDS),
    z.object({
      attempts: z.number().int(),
      /** `capture`: record_lead_field's attempts; `asked`: the agent's questions for it in the transcript. */
      attemptsFrom: z.enum(['capture', 'asked']),
      readBackCorrected: z.boolean(),
      /** The extraction vote's ruling on the field (src/extraction/fieldVote.ts); null when no vote was taken. */
      agreement: z.enum(['agreed', 'single', 'majority', 'disputed', 'none']).nullable(),
    }),
  ),
  endReason: z.string().nullable(),
  /** The lead's outcome as the call knew it at its end (`pending`: left to the outbox), or `lost`. */
  outcome: z.enum(['succeeded', 'failed', 'review', 'pending', 'lost']).nullable(),
});
export type CallQuality = z.infer<typeof CallQualitySchema>;

/** A call's session: the call machine's phase and what the call has gathered, kept current while it runs. */
export const VoiceStateSchema = z.object({
  /** The call machine's state (see FINAL_CALL_PHASES), or 'recovered' once a sweep rebuilt the lead. */
  phase: z.string(),
  callSid: z.string(),
  /** The instance running the call (src/db/entities/instance.ts): once it is dead the call is taken over at once. */
  instanceId: z.string(),
  /** SHA-256 of the call's one-time stream token (signed mode): any instance can check a stream's `start` with it. */
  streamTokenHash: z.string(),
  /** The instance whose media socket claimed the call's stream (one conditional update), and when. */
  streamClaimedBy: z.string(),
  streamClaimedAt: z.string(),
  callerPhone: z.string().nullable(),
  leadId: z.string(),
  endReason: z.string().nullable(),
  failureReason: z.string().nullable(),
  /** When the call entered each phase (ISO times). */
  timings: z.record(z.string(), z.string()),
  transcript: z.array(TurnSchema),
  fields: LeadSchema,
  /** The live capture, written as each field arrives: a crash mid-call keeps it. */
  captured: CapturedFieldsSchema,
  extraction: ExtractionSummarySchema,
  lostReason: z.string(),
  /** The lead went to the local spool because the database did not take it. */
  spooled: z.boolean(),
  recording: CallRecordingSchema,
  /** The retention sweep deleted a recording of the call (RECORDING_RETENTION_DAYS): which, when, why. */
  recordingDeleted: z.object({ kind: z.enum(['call', 'voicemail']), at: z.string(), reason: z.string() }),
  /** What became of the voicemail left after the tone (src/voicemail): read for the lead, or why nothing more happened. */
  voicemail: z.object({ status: z.enum(['read', 'kept', 'failed']), reason: z.string().nullable(), at: z.string() }),
  /** How the call went, written with its final phase. */
  quality: CallQualitySchema,
  /** Per transcript turn, where it begins in the call's recording (ms since the stream's start); written with the final phase. */
  turnStartsMs: z.array(z.number().nullable()),
  recovery: z.object({ reason: z.string(), at: z.string(), fromPhase: z.string().nullable() }),
  outcome: z.enum(['pending', 'succeeded', 'failed', 'review']),
  reason: z.string().nullable(),
  externalId: z.string(),
  submittedAt: z.string(),
  resolvedAt: z.string(),
});
export type VoiceState = Partial<z.infer<typeof VoiceStateSchema>>;
export type VoicePatch = VoiceState;

/** An SMS conversation's session: the SMS machine's persisted snapshot and the transcript. */
export const SmsStateSchema = z.object({
  /** The SMS machine's state, or 'abandoned' once the sweep saved the conversation as a lead. */
  phase: z.string(),
  phone: z.string(),
  leadId: z.string(),
  transcript: z.array(TurnSchema),
  fields: LeadSchema.nullable(),
  /** The SMS machine's persisted snapshot; null once the conversation was saved as abandoned. */
  machine: z.unknown(),
  abandonedAt: z.string(),
  outcome: z.enum(['pending', 'succeeded', 'failed', 'review']).nullable(),
  reason: z.string().nullable(),
  externalId: z.string(),
  submittedAt: z.string(),
  resolvedAt: z.string(),
});
export type SmsState = Partial<z.infer<typeof SmsStateSchema>>;
export type SmsPatch = SmsState;

/** Any state a session row may hold, and any patch merged into it. */
export type SessionState = VoiceState | SmsState;
export type SessionPatch = VoicePatch | SmsPatch | OutcomePatch;

/** Each key of `shape` read on its own: one that does not parse is left out instead of failing the whole state. */
function readEach<S extends z.ZodRawShape>(schema: z.ZodObject<S>, state: unknown): Partial<z.infer<z.ZodObject<S>>> {
  if (state === null || typeof state !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (!(key in state)) continue;
    const parsed = (field as z.ZodType).safeParse((state as Record<string, unknown>)[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return out as Partial<z.infer<z.ZodObject<S>>>;
}

export const readVoiceState = (state: unknown): VoiceState => readEach(VoiceStateSchema, state);
export const readSmsState = (state: unknown): SmsState => readEach(SmsStateSchema, state);

/** The caller's number a session holds, whatever its channel (a call's caller ID, a texter's number). */
export function callerPhoneIn(state: unknown): string | null {
  return readVoiceState(state).callerPhone ?? readSmsState(state).phone ?? null;
}
