import type { ExtractionResult, Turn } from '../src/leads/lead.js';

/** Why the conversation part of a call ended. */
export type EndReason =
  | 'goodbye'
  | 'caller-hangup'
  | 'stream-never-started'
  | 'model-failure'
  | 'max-duration';

/** Timeouts of one call, in milliseconds; named delays of the call machine read them from context. */
export interface CallTimeouts {
  modelConnectMs: number;
  streamStartMs: number;
  maxCallMs: number;
  goodbyePlaybackMs: number;
  transcriptWaitMs: number;
  extractionMs: number;
  submissionMs: number;
}

export const DEFAULT_CALL_TIMEOUTS: CallTimeouts = {
  modelConnectMs: 5_000,
  streamStartMs: 10_000,
  maxCallMs: 15 * 60_000,
  goodbyePlaybackMs: 8_000,
  transcriptWaitMs: 3_000,
  extractionMs: 20_000,
  submissionMs: 60_000,
};

export interface CallInput {
  callSid: string;
  /** The lead's id, fixed for the whole call: the NPA Idempotency-Key and the row id. */
  leadId: string;
  callerPhone: string | null;
  timeouts?: Partial<CallTimeouts>;
}

/** What the extraction actor hands on: the lead to submit, and where it came from. */
export interface CallExtraction {
  result: ExtractionResult;
  source: 'llm' | 'offline';
  llmError?: string;
  disagreements: Array<{ field: string; llm: unknown; offline: unknown }>;
}

export interface SubmitInput {
  callSid: string;
  leadId: string;
  callerPhone: string | null;
  transcript: Turn[];
  endReason: EndReason | null;
  /** Set when something before submission failed; the lead is then saved as failed with this reason. */
  failureReason: string | null;
  /** Null when extraction failed or timed out: the submitter falls back to what it can read itself. */
  extraction: CallExtraction | null;
}

export interface SubmitOutput {
  outcome: 'succeeded' | 'failed';
  leadId: string;
  reason?: string;
  /**
   * The lead is durable but not finished (in the outbox, or in the local spool while the database is down): the
   * call ends in saved-failure with a "submission pending: ..." reason and a worker finishes the lead later.
   */
  pending?: true;
}

export interface RecordFailureInput extends SubmitInput {
  failureReason: string;
}

export interface CallOutput {
  outcome: 'succeeded' | 'failed' | 'lost';
  leadId: string;
  reason: string | null;
  endReason: EndReason | null;
}
