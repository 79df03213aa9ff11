/**
 * Where a submitted lead ended up, as every channel reports it (the call machine, the SMS machine, the CLI).
 * `pending`: the lead is durable (in the outbox, or in the local spool while the database is down) but not finished;
 * a worker sends it later and the outcome then lands in the session.
 */
export interface LeadOutcome {
  /** `review`: the lead's witnesses disagree on a field; it is held, durable, until a person decides. */
  outcome: 'succeeded' | 'failed' | 'review';
  leadId: string;
  reason?: string;
  pending?: true;
}
