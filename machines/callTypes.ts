import type { Extraction } from '../src/extraction/extractor.js';
import type { CapturedFields } from '../src/leads/capturedFields.js';
import type { ExtractionResult, Turn } from '../src/leads/lead.js';
import type { LeadOutcome } from '../src/leads/leadOutcome.js';
import type { EndReason } from '../src/leads/problems.js';

export type { EndReason, Extraction, LeadOutcome };

/** Timeouts of one call, in milliseconds; named delays of the call machine read them from context. */
export interface CallTimeouts {
  modelConnectMs: number;
  streamStartMs: number;
  maxCallMs: number;
  goodbyePlaybackMs: number;
  transcriptWaitMs: number;
  extractionMs: number;
  /** How long the end of a call waits for the database to take the lead before it spools it instead. */
  dbWriteMs: number;
  /** How long the call waits for the NPA API (or for the spool) once the lead is durable. */
  submissionMs: number;
}

export const DEFAULT_CALL_TIMEOUTS: CallTimeouts = {
  modelConnectMs: 5_000,
  streamStartMs: 10_000,
  maxCallMs: 15 * 60_000,
  goodbyePlaybackMs: 8_000,
  transcriptWaitMs: 3_000,
  extractionMs: 20_000,
  dbWriteMs: 5_000,
  submissionMs: 60_000,
};

export interface CallInput {
  callSid: string;
  /** The lead's id, fixed for the whole call: the NPA Idempotency-Key and the row id. */
  leadId: string;
  callerPhone: string | null;
  /** The offline reading of an empty conversation: where the live reading starts. */
  initialReading: ExtractionResult;
  timeouts?: Partial<CallTimeouts>;
}

/** What the lead actors (accept, spool) are given: everything the call knows about its lead. */
export interface SubmitInput {
  callSid: string;
  leadId: string;
  callerPhone: string | null;
  transcript: Turn[];
  endReason: EndReason | null;
  /** Set when something before submission failed; the lead is then saved as failed with this reason. */
  failureReason: string | null;
  extraction: Extraction;
  /** What the agent recorded live; decides the lead with the offline reading when the extraction had no decision. */
  captured: CapturedFields;
}

/** What the spooling actor is given: the lead, and why the database did not take it. */
export interface SpoolInput extends SubmitInput {
  storeError: string;
}

export interface CallOutput {
  /** `handed-off`: another instance took the call's stream and saves its lead (no lead here). */
  outcome: 'succeeded' | 'failed' | 'review' | 'lost' | 'handed-off';
  leadId: string;
  reason: string | null;
  endReason: EndReason | null;
}
